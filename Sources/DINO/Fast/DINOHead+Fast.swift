extension DINOHead {
    /// `forward` on the fast path: each hidden layer's product, bias, GELU and GELU's slope in one pass
    /// (`Linear.forwardWithGELU`), as in the ViT's MLP.
    func fastForward(_ input: Tensor) -> (output: Tensor, saved: Saved) {
        var x = input
        var layerInputs = [Tensor](), slopes = [Tensor]()
        for (index, layer) in mlp.enumerated() {
            layerInputs.append(x)
            if index < mlp.count - 1 {
                let (activation, slope) = layer.forwardWithGELU(x, keepingSlope: true)
                slopes.append(slope)
                x = activation
            } else {
                x = layer.forward(x).output
            }
        }
        let (normalized, norms) = l2Normalize(x)
        let (output, lastSaved) = lastLayer.forward(normalized)
        return (output, Saved(layerInputs: layerInputs, slopes: slopes, bottleneck: x,
                              normalized: normalized, norms: norms, lastLayer: lastSaved))
    }

    /// `backward` on the fast path: back through each GELU with its kept slope, the hidden layer's bias
    /// gradient summed in the same pass (`geluBackward(_:slope:)`), as in the ViT's MLP.
    func fastBackward(_ outputGradient: Tensor, saved: Saved) -> (input: Tensor, parameters: DINOHead) {
        var parameters = self
        let (normalizedGradient, lastGradient) = lastLayer.backward(outputGradient, saved: saved.lastLayer)
        parameters.lastLayer = lastGradient
        var gradient = l2NormalizeBackward(normalizedGradient, output: saved.normalized, norms: saved.norms)
        for index in mlp.indices.reversed() {
            if index == mlp.count - 1 {  // the bottleneck layer: no GELU after it
                (gradient, parameters.mlp[index]) = mlp[index].backward(gradient, input: saved.layerInputs[index])
            } else {
                let (preActivationGradient, biasGradient) = geluBackward(gradient, slope: saved.slopes[index])
                let (inputGradient, weightGradient) = mlp[index].weightProductBackward(preActivationGradient, input: saved.layerInputs[index])
                parameters.mlp[index] = Linear(weight: weightGradient, bias: biasGradient)
                gradient = inputGradient
            }
        }
        return (gradient, parameters)
    }
}
