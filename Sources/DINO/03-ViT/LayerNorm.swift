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
    /// `(R, D)` → `(R, D)`; each row's mean and variance in `Double`, so that rows with a large mean keep
    /// their digits.
    public func forward(_ input: Tensor) -> (output: Tensor, saved: Saved) {
        let width = weight.count
        checkShapes(input.shape.last == width, "LayerNorm.forward: input \(input.shape), expected rows of width \(width)")
        if ComputePath.isFast { return fastForward(input) }
        var output = input, normalized = input
        var inverseDeviation = [Float]()
        for start in stride(from: 0, to: input.count, by: width) {
            let row = input.scalars[start..<start + width].map(Double.init)
            let mean = row.reduce(0, +) / Double(width)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(width)
            let inverse = Float(1 / (variance + Double(epsilon)).squareRoot())  // 1/σ
            inverseDeviation.append(inverse)
            for j in 0..<width {
                let xHat = (input.scalars[start + j] - Float(mean)) * inverse
                normalized.scalars[start + j] = xHat
                output.scalars[start + j] = xHat * weight.scalars[j] + bias.scalars[j]  // x̂ · γ + β
            }
        }
        return (output, Saved(normalized: normalized, inverseDeviation: inverseDeviation))
    }
    // snippet.end

    /// Inference: `(R, D)` → `(R, D)`, keeping nothing for a backward pass.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        if ComputePath.isFast { return fastInference(input) }
        return forward(input).output
    }

    // snippet.layernorm-backward
    /// With `g = ∂L/∂y · γ`: `∂L/∂x = (g − mean(g) − x̂ · mean(g · x̂)) / σ` per row,
    /// `∂L/∂γ = Σ_rows ∂L/∂y · x̂`, `∂L/∂β = Σ_rows ∂L/∂y`.
    public func backward(_ outputGradient: Tensor, saved: Saved) -> (input: Tensor, parameters: LayerNorm) {
        let width = weight.count
        checkShapes(outputGradient.shape == saved.normalized.shape,
                    "LayerNorm.backward: gradient \(outputGradient.shape) for an input of shape \(saved.normalized.shape)")
        if ComputePath.isFast { return fastBackward(outputGradient, saved: saved) }
        let (dy, xHat) = (outputGradient.scalars, saved.normalized.scalars)
        var inputGradient = outputGradient
        var parameters = self
        parameters.weight = Tensor(zeros: [width])
        parameters.bias = Tensor(zeros: [width])
        for (row, start) in stride(from: 0, to: dy.count, by: width).enumerated() {
            var meanG: Float = 0, meanGX: Float = 0
            for j in 0..<width {
                let g = dy[start + j] * weight.scalars[j]
                meanG += g / Float(width)
                meanGX += g * xHat[start + j] / Float(width)
                parameters.weight.scalars[j] += dy[start + j] * xHat[start + j]
                parameters.bias.scalars[j] += dy[start + j]
            }
            for j in 0..<width {
                let g = dy[start + j] * weight.scalars[j]
                inputGradient.scalars[start + j] = (g - meanG - xHat[start + j] * meanGX) * saved.inverseDeviation[row]
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
