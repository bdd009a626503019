/// The block's feed-forward part: `fc2(GELU(fc1(x)))`, widening `D` to `4D` and back.
/// `(R, D)` → `(R, D)`.
public struct MLP: Equatable, Sendable, Parameterized {
    /// `mlp.fc1`: `(hidden, D)`.
    public var fc1: Linear
    /// `mlp.fc2`: `(D, hidden)`.
    public var fc2: Linear

    /// An MLP of width `dimension` with `hidden` units (4D in the ViT), DINO's initialisation.
    public init(dimension: Int, hidden: Int, using rng: inout some RandomNumberGenerator) {
        fc1 = Linear(inputSize: dimension, outputSize: hidden, using: &rng)
        fc2 = Linear(inputSize: hidden, outputSize: dimension, using: &rng)
    }

    /// What backward needs: the input, GELU's slope at the pre-activation, and the activation.
    public struct Saved: Sendable { let input: Tensor, slope: Tensor, activation: Tensor }

    /// `(R, D)` → `(R, D)`. fc1's bias is added inside GELU's pass rather than in a pass of its own.
    public func forward(_ input: Tensor) -> (output: Tensor, saved: Saved) {
        let (activation, slope) = geluWithSlope(fc1.weightProduct(input), addingBias: fc1.bias)
        return (fc2.forward(activation).output, Saved(input: input, slope: slope, activation: activation))
    }

    /// Inference: `(R, D)` → `(R, D)`, without GELU's slope or anything else for a backward pass.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        fc2.forward(gelu(fc1.weightProduct(input), addingBias: fc1.bias)).output
    }

    /// Given `∂L/∂output` `(R, D)`: `∂L/∂input` and the parameters' gradients. fc1's bias gradient is
    /// summed inside GELU's backward pass rather than in a pass of its own.
    public func backward(_ outputGradient: Tensor, saved: Saved) -> (input: Tensor, parameters: MLP) {
        let (activationGradient, fc2Gradient) = fc2.backward(outputGradient, input: saved.activation)
        let (preActivationGradient, fc1BiasGradient) = geluBackward(activationGradient, slope: saved.slope)
        let (inputGradient, fc1WeightGradient) = fc1.weightProductBackward(preActivationGradient, input: saved.input)
        var parameters = self
        parameters.fc1 = Linear(weight: fc1WeightGradient, bias: fc1BiasGradient)
        parameters.fc2 = fc2Gradient
        return (inputGradient, parameters)
    }

    /// `fc1.weight`, `fc1.bias`, `fc2.weight`, `fc2.bias`.
    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        try fc1.visitParameters(prefix: prefix + "fc1.", body)
        try fc2.visitParameters(prefix: prefix + "fc2.", body)
    }
}
