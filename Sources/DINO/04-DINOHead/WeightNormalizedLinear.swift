// snippet.weight-norm
/// A linear layer without bias whose weight is reparametrised as `W = g · v / ‖v‖` per output row, as
/// `nn.utils.weight_norm` (norm over every dimension but the first). `(R, in)` → `(R, out)`.
///
/// DINO fills `g` with 1 and, with `norm_last_layer` on (the default), freezes it: each output is then
/// the cosine between the L2-normalised input and a prototype direction `v_k / ‖v_k‖`.
public struct WeightNormalizedLinear: Equatable, Sendable, Parameterized {
    /// `weight_g`, `[out, 1]`: the length of each row of `W`.
    public var magnitude: Tensor
    /// `weight_v`, `[out, in]`: the direction of each row of `W`.
    public var direction: Tensor
    /// Whether `g` is trained; off when `norm_last_layer` is set.
    public var magnitudeIsTrainable: Bool
// snippet.end

    /// DINO's last layer: `v` from PyTorch's default `nn.Linear` init, `U(−1/√in, 1/√in)` (the head's
    /// truncated-normal init runs before this layer is created), and `g` filled with 1.
    public init(inputSize: Int, outputSize: Int, magnitudeIsTrainable: Bool, using rng: inout some RandomNumberGenerator) {
        let bound = 1 / Float(inputSize).squareRoot()
        direction = .uniform([outputSize, inputSize], in: -bound..<bound, using: &rng)
        magnitude = Tensor(shape: [outputSize, 1], repeating: 1)
        self.magnitudeIsTrainable = magnitudeIsTrainable
    }

    /// The effective weight `W = g · v / ‖v‖` `(out, in)` and each row's `‖v‖`.
    public func effectiveWeight() -> (weight: Tensor, rowNorms: [Float]) {
        let (unit, norms) = l2Normalize(direction, epsilon: 0)
        return (scaleSamples(unit, by: magnitude.scalars), norms)  // row o times g_o
    }

    /// What backward needs.
    public struct Saved: Sendable { let input: Tensor, weight: Tensor, rowNorms: [Float] }

    /// `(R, in)` → `(R, out)`.
    public func forward(_ input: Tensor) -> (output: Tensor, saved: Saved) {
        let (weight, norms) = effectiveWeight()
        return (matmul(input, weight, transposeB: true), Saved(input: input, weight: weight, rowNorms: norms))
    }

    // snippet.weight-norm-backward
    /// With `G = ∂L/∂W = (∂L/∂y)ᵀ·x` and `v̂ = v/‖v‖` per row: `∂L/∂g = G·v̂` and
    /// `∂L/∂v = (g/‖v‖)·(G − (G·v̂)·v̂)`, the part of `G` that changes the direction. `∂L/∂g` is zero when
    /// `g` is frozen.
    public func backward(_ outputGradient: Tensor, saved: Saved) -> (input: Tensor, parameters: WeightNormalizedLinear) {
        let inputGradient = matmul(outputGradient, saved.weight)
        let weightGradient = matmul(outputGradient, saved.input, transposeA: true)  // (out, in)
        if ComputePath.isFast {
            return (inputGradient, fastParameterGradients(weightGradient: weightGradient, rowNorms: saved.rowNorms))
        }
        let width = direction.shape[1]
        var magnitudeGradient = Tensor(zeros: magnitude.shape), directionGradient = Tensor(zeros: direction.shape)
        for row in 0..<direction.shape[0] {
            let (start, norm) = (row * width, saved.rowNorms[row])
            let unit = direction.scalars[start..<start + width].map { $0 / norm }   // v̂
            let gradient = weightGradient.scalars[start..<start + width]          // G, this row
            let alongDirection = zip(gradient, unit).reduce(0) { $0 + $1.0 * $1.1 }  // G·v̂
            if magnitudeIsTrainable { magnitudeGradient.scalars[row] = alongDirection }
            for (j, (g, u)) in zip(gradient, unit).enumerated() {
                directionGradient.scalars[start + j] = magnitude.scalars[row] / norm * (g - alongDirection * u)
            }
        }
        var parameters = self
        parameters.direction = directionGradient
        parameters.magnitude = magnitudeGradient
        return (inputGradient, parameters)
    }
    // snippet.end

    /// `weight_g`, `weight_v`, as `nn.utils.weight_norm` names them (both are always in a checkpoint).
    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        try body(prefix + "weight_g", &magnitude)
        try body(prefix + "weight_v", &direction)
    }
}
