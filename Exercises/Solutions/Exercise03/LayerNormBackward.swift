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
    let width = weight.count
    var input = Tensor(zeros: outputGradient.shape)
    var weightGradient = Tensor(zeros: [width]), biasGradient = Tensor(zeros: [width])
    for row in 0..<outputGradient.count / width {
        let start = row * width
        let g = (0..<width).map { outputGradient.scalars[start + $0] * weight.scalars[$0] }
        let meanG = g.reduce(0, +) / Float(width)
        let meanGX = (0..<width).reduce(Float(0)) { $0 + g[$1] * normalized.scalars[start + $1] } / Float(width)
        for j in 0..<width {
            input.scalars[start + j] = (g[j] - meanG - normalized.scalars[start + j] * meanGX) * inverseDeviation[row]
            weightGradient.scalars[j] += outputGradient.scalars[start + j] * normalized.scalars[start + j]
            biasGradient.scalars[j] += outputGradient.scalars[start + j]
        }
    }
    return (input, weightGradient, biasGradient)
}
