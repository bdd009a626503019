import DINO

/// Exercise 10.1: the gradient that reaches clipping in data-parallel training (book chapter 10, step 2).
///
/// - Parameters:
///   - workerGradients: one parameter's gradient from each rank, each of its share's mean loss (equal shares).
///   - maximumNorm: the clipping limit of chapter 08 (`--clip-grad`).
/// - Returns: the ranks' mean gradient, scaled down to `maximumNorm` when its norm is larger.
public func exerciseAverageThenClip(workerGradients: [Tensor], maximumNorm: Float) -> Tensor {
    // TODO: the mean over the ranks, then the clipping of its norm.
    return workerGradients[0]
}
