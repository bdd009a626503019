import DINO

/// Exercise 01.2: put patches `(B·N, C·p·p)` back into images `(B, C, H, W)` (book chapter 01, step 2).
///
/// The inverse of `patchify`: patches numbered row by row over the `(H/p) × (W/p)` grid, each
/// flattened channel first, then row, then column.
public func exerciseUnpatchify(_ patches: Tensor, channels: Int, height: Int, width: Int, patchSize: Int) -> Tensor {
    let (gridHeight, gridWidth) = (height / patchSize, width / patchSize)
    let batch = patches.shape[0] / (gridHeight * gridWidth)
    var images = Tensor(zeros: [batch, channels, height, width])
    var next = 0
    for b in 0..<batch {
        for gy in 0..<gridHeight {
            for gx in 0..<gridWidth {
                for c in 0..<channels {
                    for ky in 0..<patchSize {
                        for kx in 0..<patchSize {
                            images[b, c, gy * patchSize + ky, gx * patchSize + kx] = patches.scalars[next]
                            next += 1
                        }
                    }
                }
            }
        }
    }
    return images
}
