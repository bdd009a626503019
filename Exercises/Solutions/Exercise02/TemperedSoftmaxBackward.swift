import DINO

/// Exercise 02.1: the backward pass of a softmax with a temperature, `p = softmax(z / τ)` (book chapter
/// 02, step 3, shows it for τ = 1; DINO's loss divides the student's logits by τ_s = 0.1).
///
/// Given `p` and `g = ∂L/∂p`, both `(R, K)`, and `τ > 0`, return `∂L/∂z` `(R, K)`.
public func exerciseTemperedSoftmaxBackward(probabilities: Tensor, outputGradient: Tensor, temperature: Float) -> Tensor {
    // ∂L/∂(z/τ) is the softmax's backward pass; z/τ scales by 1/τ, so its gradient does too.
    softmaxBackward(probabilities: probabilities, outputGradient: outputGradient) * (1 / temperature)
}
