import DINO

/// Exercise 01.1: cut images `(B, C, H, W)` into `p×p` patches `(B·N, C·p·p)` (book chapter 01, step 2).
///
/// Patches are numbered row by row over the grid; each patch is flattened channel first, then row,
/// then column, the storage order of a convolution weight `[D, C, p, p]`.
public func exercisePatchify(_ images: Tensor, patchSize: Int) -> Tensor {
    let (batch, channels, height, width) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
    let (gridHeight, gridWidth) = (height / patchSize, width / patchSize)
    var patches = Tensor(zeros: [batch * gridHeight * gridWidth, channels * patchSize * patchSize])
    var next = 0
    for b in 0..<batch {
        for gy in 0..<gridHeight {
            for gx in 0..<gridWidth {
                for c in 0..<channels {
                    for ky in 0..<patchSize {
                        for kx in 0..<patchSize {
                            patches.scalars[next] = images[b, c, gy * patchSize + ky, gx * patchSize + kx]
                            next += 1
                        }
                    }
                }
            }
        }
    }
    return patches
}
