/// Layer normalisation over the last axis, `y = (x − μ) / √(σ² + ε) · γ + β`, with ε = 1e-6 as in
/// DINO's ViT (`partial(nn.LayerNorm, eps=1e-6)`). `(R, D)` → `(R, D)`, one `μ`, `σ²` per row.
public struct LayerNorm: Equatable, Sendable, Parameterized {
    /// `γ`, `[D]`, initialised to 1.
    public var weight: Tensor
    /// `β`, `[D]`, initialised to 0.
    public var bias: Tensor
    /// Added to the variance so a constant row does not divide by zero.
    public let epsilon: Float

    /// A layer norm of width `dimension` with `γ = 1`, `β = 0`.
    public init(dimension: Int, epsilon: Float = 1e-6) {
        weight = Tensor(shape: [dimension], repeating: 1)
        bias = Tensor(zeros: [dimension])
        self.epsilon = epsilon
    }

    /// What backward needs: the normalised rows `x̂` `(R, D)` and `1/σ` per row `(R)`.
    public struct Saved: Sendable {
        let normalized: Tensor
        let inverseDeviation: [Float]
    }

    // snippet.layernorm-forward
    /// `(R, D)` → `(R, D)`; statistics in `Double` so that rows with a large mean keep their digits.
    public func forward(_ input: Tensor) -> (output: Tensor, saved: Saved) {
        let width = weight.count
        checkShapes(input.shape.last == width, "LayerNorm.forward: input \(input.shape), expected rows of width \(width)")
        let rows = input.count / width
        var normalized = input, output = input
        var inverseDeviation = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            let row = r * width
            var sum = 0.0, sumOfSquares = 0.0
            for j in 0..<width { sum += Double(input.scalars[row + j]) }
            let mean = sum / Double(width)
            for j in 0..<width { let centred = Double(input.scalars[row + j]) - mean; sumOfSquares += centred * centred }
            let inverse = Float(1 / (sumOfSquares / Double(width) + Double(epsilon)).squareRoot())
            inverseDeviation[r] = inverse
            for j in 0..<width {
                let xHat = (input.scalars[row + j] - Float(mean)) * inverse
                normalized.scalars[row + j] = xHat
                output.scalars[row + j] = xHat * weight.scalars[j] + bias.scalars[j]
            }
        }
        return (output, Saved(normalized: normalized, inverseDeviation: inverseDeviation))
    }
    // snippet.end

    // snippet.layernorm-backward
    /// With `g = ∂L/∂y · γ`: `∂L/∂x = (g − mean(g) − x̂ · mean(g · x̂)) / σ` per row,
    /// `∂L/∂γ = Σ_rows ∂L/∂y · x̂`, `∂L/∂β = Σ_rows ∂L/∂y`.
    public func backward(_ outputGradient: Tensor, saved: Saved) -> (input: Tensor, parameters: LayerNorm) {
        let width = weight.count
        let rows = outputGradient.count / width
        var inputGradient = outputGradient
        var parameters = self
        parameters.weight = Tensor(zeros: [width])
        parameters.bias = Tensor(zeros: [width])
        for r in 0..<rows {
            let row = r * width
            var meanG: Float = 0, meanGX: Float = 0
            for j in 0..<width {
                let dy = outputGradient.scalars[row + j], xHat = saved.normalized.scalars[row + j]
                let g = dy * weight.scalars[j]
                meanG += g
                meanGX += g * xHat
                parameters.weight.scalars[j] += dy * xHat
                parameters.bias.scalars[j] += dy
            }
            meanG /= Float(width)
            meanGX /= Float(width)
            for j in 0..<width {
                let g = outputGradient.scalars[row + j] * weight.scalars[j]
                inputGradient.scalars[row + j] = (g - meanG - saved.normalized.scalars[row + j] * meanGX) * saved.inverseDeviation[r]
            }
        }
        return (inputGradient, parameters)
    }
    // snippet.end

    /// `weight`, `bias`.
    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        try body(prefix + "weight", &weight)
        try body(prefix + "bias", &bias)
    }
}
