/// A fully connected layer, `y = x · Wᵀ + b`, with PyTorch's layout: `weight` is `(out, in)`.
///
/// The pattern every layer in this codebase follows: `forward` returns the output and what `backward`
/// will need; `backward` takes the output's gradient and returns the input's gradient and the parameter
/// gradients, shaped like the layer itself.
public struct Linear: Equatable, Sendable {
    /// `(out, in)`: row `o` holds the weights of output `o`.
    public var weight: Tensor
    /// `(out)`, or `nil` for a layer without bias (DINO's last layer).
    public var bias: Tensor?

    /// The number of input features.
    public var inputSize: Int { weight.shape[1] }
    /// The number of output features.
    public var outputSize: Int { weight.shape[0] }

    /// A layer over explicit parameters.
    public init(weight: Tensor, bias: Tensor?) {
        checkShapes(weight.rank == 2, "Linear: weight must be (out, in), got \(weight.shape)")
        if let bias {
            checkShapes(bias.shape == [weight.shape[0]], "Linear: bias \(bias.shape) for weight \(weight.shape)")
        }
        self.weight = weight
        self.bias = bias
    }

    /// DINO's initialisation: weights from a truncated normal with std 0.02, biases zero.
    public init(inputSize: Int, outputSize: Int, hasBias: Bool = true, using rng: inout some RandomNumberGenerator) {
        self.init(
            weight: .truncatedNormal([outputSize, inputSize], std: 0.02, using: &rng),
            bias: hasBias ? Tensor(zeros: [outputSize]) : nil)
    }

    // snippet.linear-forward
    /// `(N, in)` → `(N, out)`: `y = x · Wᵀ + b`. Backward needs only the input, which is returned with it.
    public func forward(_ input: Tensor) -> (output: Tensor, input: Tensor) {
        checkShapes(input.rank == 2 && input.shape[1] == inputSize,
                    "Linear.forward: input \(input.shape) for a layer taking \(inputSize) features (weight \(weight.shape))")
        if ComputePath.isFast { return (fastForward(input), input) }
        let product = matmul(input, weight, transposeB: true)  // (N, out)
        guard let bias else { return (product, input) }
        return (product.addingRowVector(bias), input)
    }
    // snippet.end

    // snippet.linear-backward
    /// Given `∂L/∂y` `(N, out)` and the forward input `x` `(N, in)`:
    /// `∂L/∂x = ∂L/∂y · W` `(N, in)`, `∂L/∂W = (∂L/∂y)ᵀ · x` `(out, in)`, `∂L/∂b = Σ_rows ∂L/∂y` `(out)`.
    public func backward(_ outputGradient: Tensor, input: Tensor) -> (input: Tensor, parameters: Linear) {
        checkShapes(outputGradient.shape == [input.shape[0], outputSize],
                    "Linear.backward: output gradient \(outputGradient.shape), expected \([input.shape[0], outputSize])")
        let inputGradient = matmul(outputGradient, weight)
        let weightGradient = matmul(outputGradient, input, transposeA: true)
        let biasGradient = bias == nil ? nil : outputGradient.sumOverRows()
        return (inputGradient, Linear(weight: weightGradient, bias: biasGradient))
    }
    // snippet.end
}

extension Linear: Parameterized {
    /// `weight` then `bias` (if any), as PyTorch's `nn.Linear` names them.
    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        try body(prefix + "weight", &weight)
        if bias != nil { try body(prefix + "bias", &bias!) }
    }
}
