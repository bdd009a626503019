import DINO

/// Exercise 00.1: the backward pass of `y = x · Wᵀ + b` (book chapter 00, step 5).
///
/// - Parameters:
///   - outputGradient: `∂L/∂y`, shape `(N, out)`.
///   - input: the forward input `x`, shape `(N, in)`.
///   - weight: `W`, shape `(out, in)`.
/// - Returns: `∂L/∂x` `(N, in)`, `∂L/∂W` `(out, in)` and `∂L/∂b` `(out)`.
public func linearBackward(outputGradient: Tensor, input: Tensor, weight: Tensor)
    -> (input: Tensor, weight: Tensor, bias: Tensor)
{
    let inputGradient = matmul(outputGradient, weight)                   // (N, out) · (out, in)
    let weightGradient = matmul(outputGradient, input, transposeA: true)  // (out, N) · (N, in)
    let biasGradient = outputGradient.sumOverRows()                       // Σ over the N rows
    return (inputGradient, weightGradient, biasGradient)
}
