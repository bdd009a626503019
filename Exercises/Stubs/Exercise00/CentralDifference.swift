import DINO

/// Exercise 00.2: the gradient of a scalar function by central differences (book chapter 00, step 6).
///
/// For each element `x_i`: `(f(x + h·e_i) − f(x − h·e_i)) / 2h`, with every other element untouched
/// and `x_i` restored before the next one. Returns a tensor of `x`'s shape.
public func exerciseCentralDifference(of f: (Tensor) -> Double, at x: Tensor, step: Float) -> Tensor {
    // TODO: nudge each element up and down by `step`, one at a time.
    return Tensor(zeros: x.shape)
}
