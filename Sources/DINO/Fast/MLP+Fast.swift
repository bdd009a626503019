extension MLP {
    /// `forward` on the fast path: fc1's product, its bias, GELU and GELU's slope in one pass
    /// (`forwardWithGELU`) rather than in passes of their own.
    func fastForward(_ input: Tensor) -> (output: Tensor, saved: Saved) {
        let (activation, slope) = fc1.forwardWithGELU(input, keepingSlope: true)
        return (fc2.forward(activation).output, Saved(input: input, slope: slope, activation: activation))
    }

    /// `callAsFunction` on the fast path: GELU inside fc1's product, without its slope.
    func fastInference(_ input: Tensor) -> Tensor {
        fc2.forward(fc1.forwardWithGELU(input, keepingSlope: false).output).output
    }

    /// `backward` on the fast path: fc1's bias gradient is summed inside GELU's backward pass rather than
    /// in a pass of its own.
    func fastBackward(_ outputGradient: Tensor, saved: Saved) -> (input: Tensor, parameters: MLP) {
        let (activationGradient, fc2Gradient) = fc2.backward(outputGradient, input: saved.activation)
        let (preActivationGradient, fc1BiasGradient) = geluBackward(activationGradient, slope: saved.slope)
        let (inputGradient, fc1WeightGradient) = fc1.weightProductBackward(preActivationGradient, input: saved.input)
        var parameters = self
        parameters.fc1 = Linear(weight: fc1WeightGradient, bias: fc1BiasGradient)
        parameters.fc2 = fc2Gradient
        return (inputGradient, parameters)
    }
}
