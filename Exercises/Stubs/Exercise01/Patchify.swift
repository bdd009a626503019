import DINO

/// Exercise 01.1: cut images `(B, C, H, W)` into `p×p` patches `(B·N, C·p·p)` (book chapter 01, step 2).
///
/// Patches are numbered row by row over the grid; each patch is flattened channel first, then row,
/// then column, the storage order of a convolution weight `[D, C, p, p]`.
public func exercisePatchify(_ images: Tensor, patchSize: Int) -> Tensor {
    // TODO: fill `patches` (B·N rows of C·p·p values) from `images.scalars`.
    let (batch, channels, height, width) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
    let patches = Tensor(zeros: [batch * (height / patchSize) * (width / patchSize), channels * patchSize * patchSize])
    return patches
}
