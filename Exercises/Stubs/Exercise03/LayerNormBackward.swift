import DINO

/// Exercise 03.1: the backward pass of LayerNorm (book chapter 03, step 1).
///
/// - Parameters:
///   - outputGradient: `∂L/∂y`, `(R, D)`.
///   - normalized: the forward pass's `x̂ = (x − μ)/σ`, `(R, D)`.
///   - inverseDeviation: `1/σ` of each row, `R` values.
///   - weight: `γ`, `(D)`.
/// - Returns: `∂L/∂x` `(R, D)`, `∂L/∂γ` `(D)` and `∂L/∂β` `(D)`.
public func exerciseLayerNormBackward(outputGradient: Tensor, normalized: Tensor, inverseDeviation: [Float], weight: Tensor)
    -> (input: Tensor, weight: Tensor, bias: Tensor)
{
    // TODO: with g = ∂L/∂y·γ, ∂L/∂x = (g − mean(g) − x̂·mean(g·x̂))/σ per row.
    return (Tensor(zeros: outputGradient.shape), Tensor(zeros: weight.shape), Tensor(zeros: weight.shape))
}
