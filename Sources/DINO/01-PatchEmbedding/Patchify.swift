// snippet.patchify
/// Walks every row of `p` pixels of every patch: `visit(imageOffset, patchOffset)` gets where the row
/// starts in the images `(B, C, H, W)` and in the flattened patches `(B·N, C·p·p)`.
///
/// Patches are numbered row by row over the grid (as a convolution's output is flattened) and each
/// patch is flattened channel first, then row, then column: the order of a convolution weight
/// `[D, C, p, p]`, so a stride-`p` convolution becomes one matrix product with that weight.
func forEachPatchRow(imageShape: [Int], patchSize p: Int, _ visit: (_ imageOffset: Int, _ patchOffset: Int) -> Void) {
    let (batch, channels, height, width) = (imageShape[0], imageShape[1], imageShape[2], imageShape[3])
    let (gridHeight, gridWidth) = (height / p, width / p)
    for b in 0..<batch {
        for gy in 0..<gridHeight {
            for gx in 0..<gridWidth {
                let patchStart = ((b * gridHeight + gy) * gridWidth + gx) * channels * p * p
                for c in 0..<channels {
                    for ky in 0..<p {
                        visit(((b * channels + c) * height + gy * p + ky) * width + gx * p, patchStart + (c * p + ky) * p)
                    }
                }
            }
        }
    }
}

/// Cuts images into non-overlapping `p×p` patches and flattens each one:
/// `(B, C, H, W)` → `(B·N, C·p·p)` with `N = (H/p)·(W/p)`.
public func patchify(_ images: Tensor, patchSize p: Int) -> Tensor {
    checkShapes(images.rank == 4, "patchify: expects images (B, C, H, W), got \(images.shape)")
    checkShapes(p > 0 && images.shape[2] % p == 0 && images.shape[3] % p == 0,
                "patchify: image side \(images.shape[2])×\(images.shape[3]) is not a multiple of the patch size \(p)")
    var patches = [Float](repeating: 0, count: images.count)
    forEachPatchRow(imageShape: images.shape, patchSize: p) { imageOffset, patchOffset in
        for kx in 0..<p { patches[patchOffset + kx] = images.scalars[imageOffset + kx] }
    }
    let patchCount = images.shape[0] * (images.shape[2] / p) * (images.shape[3] / p)
    return Tensor(shape: [patchCount, images.shape[1] * p * p], scalars: patches)
}
// snippet.end

/// The inverse of `patchify`: `(B·N, C·p·p)` → `(B, C, H, W)`. Patches do not overlap, so this is
/// also patchify's backward pass: it carries each patch's gradient back to its pixels.
public func unpatchify(_ patches: Tensor, imageShape: [Int], patchSize p: Int) -> Tensor {
    checkShapes(imageShape.count == 4 && patches.count == imageShape.reduce(1, *),
                "unpatchify: \(patches.shape) patches do not fill images of shape \(imageShape)")
    var images = [Float](repeating: 0, count: patches.count)
    forEachPatchRow(imageShape: imageShape, patchSize: p) { imageOffset, patchOffset in
        for kx in 0..<p { images[imageOffset + kx] = patches.scalars[patchOffset + kx] }
    }
    return Tensor(shape: imageShape, scalars: images)
}
