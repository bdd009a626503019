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

    // snippet.mlp
    /// `(R, D)` → `(R, D)`.
    public func forward(_ input: Tensor) -> (output: Tensor, saved: Saved) {
        if ComputePath.isFast { return fastForward(input) }
        let preActivation = fc1.forward(input).output  // (R, hidden)
        let activation = gelu(preActivation)
        let slope = geluDerivative(preActivation)      // GELU′ at the pre-activation: what backward needs
        return (fc2.forward(activation).output, Saved(input: input, slope: slope, activation: activation))
    }

    /// Given `∂L/∂output` `(R, D)`: `∂L/∂input` and the parameters' gradients, back through fc2, GELU
    /// and fc1.
    public func backward(_ outputGradient: Tensor, saved: Saved) -> (input: Tensor, parameters: MLP) {
        if ComputePath.isFast { return fastBackward(outputGradient, saved: saved) }
        let (activationGradient, fc2Gradient) = fc2.backward(outputGradient, input: saved.activation)
        let preActivationGradient = activationGradient * saved.slope  // ∂L/∂y · GELU′(x)
        let (inputGradient, fc1Gradient) = fc1.backward(preActivationGradient, input: saved.input)
        var parameters = self
        (parameters.fc1, parameters.fc2) = (fc1Gradient, fc2Gradient)
        return (inputGradient, parameters)
    }
    // snippet.end

    /// Inference: `(R, D)` → `(R, D)`, keeping nothing for a backward pass.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        if ComputePath.isFast { return fastInference(input) }
        return fc2.forward(gelu(fc1.forward(input).output)).output
    }

    /// `fc1.weight`, `fc1.bias`, `fc2.weight`, `fc2.bias`.
    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        try fc1.visitParameters(prefix: prefix + "fc1.", body)
        try fc2.visitParameters(prefix: prefix + "fc2.", body)
    }
}
