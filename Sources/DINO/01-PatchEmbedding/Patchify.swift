// snippet.patchify
/// Cuts images into non-overlapping `p×p` patches and flattens each one:
/// `(B, C, H, W)` → `(B·N, C·p·p)` with `N = (H/p)·(W/p)`.
///
/// Patches are numbered row by row over the grid (as a convolution's output is flattened) and each
/// patch is flattened channel first, then row, then column: the order of a convolution weight
/// `[D, C, p, p]`. A stride-`p` convolution is then one matrix product with that weight.
public func patchify(_ images: Tensor, patchSize p: Int) -> Tensor {
    checkShapes(images.rank == 4, "patchify: expects images (B, C, H, W), got \(images.shape)")
    let (batch, channels, height, width) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
    checkShapes(p > 0 && height % p == 0 && width % p == 0,
                "patchify: image side \(height)×\(width) is not a multiple of the patch size \(p)")
    let (gridHeight, gridWidth) = (height / p, width / p)
    let patchLength = channels * p * p
    var patches = [Float](repeating: 0, count: images.count)
    for b in 0..<batch {
        for gy in 0..<gridHeight {
            for gx in 0..<gridWidth {
                let patchStart = ((b * gridHeight + gy) * gridWidth + gx) * patchLength
                for c in 0..<channels {
                    for ky in 0..<p {
                        let source = ((b * channels + c) * height + gy * p + ky) * width + gx * p
                        let target = patchStart + (c * p + ky) * p
                        for kx in 0..<p { patches[target + kx] = images.scalars[source + kx] }
                    }
                }
            }
        }
    }
    return Tensor(shape: [batch * gridHeight * gridWidth, patchLength], scalars: patches)
}
// snippet.end

/// The inverse of `patchify`: `(B·N, C·p·p)` → `(B, C, H, W)`. Patches do not overlap, so this is
/// also patchify's backward pass: it carries each patch's gradient back to its pixels.
public func unpatchify(_ patches: Tensor, imageShape: [Int], patchSize p: Int) -> Tensor {
    checkShapes(imageShape.count == 4 && patches.count == imageShape.reduce(1, *),
                "unpatchify: \(patches.shape) patches do not fill images of shape \(imageShape)")
    let (batch, channels, height, width) = (imageShape[0], imageShape[1], imageShape[2], imageShape[3])
    let (gridHeight, gridWidth) = (height / p, width / p)
    let patchLength = channels * p * p
    var images = [Float](repeating: 0, count: patches.count)
    for b in 0..<batch {
        for gy in 0..<gridHeight {
            for gx in 0..<gridWidth {
                let patchStart = ((b * gridHeight + gy) * gridWidth + gx) * patchLength
                for c in 0..<channels {
                    for ky in 0..<p {
                        let target = ((b * channels + c) * height + gy * p + ky) * width + gx * p
                        let source = patchStart + (c * p + ky) * p
                        for kx in 0..<p { images[target + kx] = patches.scalars[source + kx] }
                    }
                }
            }
        }
    }
    return Tensor(shape: imageShape, scalars: images)
}
