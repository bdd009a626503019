import DINO

/// Exercise 01.2: put patches `(B·N, C·p·p)` back into images `(B, C, H, W)` (book chapter 01, step 2).
///
/// The inverse of `patchify`: patches numbered row by row over the `(H/p) × (W/p)` grid, each
/// flattened channel first, then row, then column.
public func exerciseUnpatchify(_ patches: Tensor, channels: Int, height: Int, width: Int, patchSize: Int) -> Tensor {
    // TODO: walk the grid and copy each patch's values back to their pixels.
    return Tensor(zeros: [1])
}
