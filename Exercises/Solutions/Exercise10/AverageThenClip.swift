import DINO

/// Exercise 10.1: the gradient that reaches clipping in data-parallel training (book chapter 10, step 2).
///
/// - Parameters:
///   - workerGradients: one parameter's gradient from each rank, each of its share's mean loss (equal shares).
///   - maximumNorm: the clipping limit of chapter 08 (`--clip-grad`).
/// - Returns: the ranks' mean gradient, scaled down to `maximumNorm` when its norm is larger.
public func exerciseAverageThenClip(workerGradients: [Tensor], maximumNorm: Float) -> Tensor {
    var sum = workerGradients[0]
    for gradient in workerGradients.dropFirst() { sum = sum + gradient }
    let mean = sum * (1 / Float(workerGradients.count))
    let norm = Float(mean.sumOfSquares().squareRoot())
    return norm > maximumNorm ? mean * (maximumNorm / norm) : mean
}
