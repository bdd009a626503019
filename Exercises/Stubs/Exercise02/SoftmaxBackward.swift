import DINO

/// Exercise 02.1: the backward pass of a row softmax (book chapter 02, step 3).
///
/// Given `p = softmax(z)` and `g = ∂L/∂p`, both `(R, K)`, return `∂L/∂z` `(R, K)`.
public func exerciseSoftmaxBackward(probabilities: Tensor, outputGradient: Tensor) -> Tensor {
    // TODO: one dot product per row, then one line per element.
    return Tensor(zeros: probabilities.shape)
}
