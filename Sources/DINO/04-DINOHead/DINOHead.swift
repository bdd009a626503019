

/// DINO's projection head: an MLP to a bottleneck, L2 normalisation, then a weight-normalised linear
/// layer without bias to `K` outputs. `(R, D)` → `(R, K)`.
///
/// `Linear(D, 2048) → GELU → Linear(2048, 2048) → GELU → Linear(2048, 256) → L2 → WN-Linear(256, K)`.
/// The names follow the reference's `nn.Sequential`: `mlp.0`, `mlp.2`, `mlp.4` (the GELUs are 1 and 3),
/// `last_layer.weight_g`, `last_layer.weight_v`.
public struct DINOHead: Equatable, Sendable, Parameterized {
    /// The head's shape.
    public let configuration: HeadConfiguration
    /// The MLP's linear layers, in order.
    public var mlp: [Linear]
    /// The weight-normalised last layer (`last_layer`).
    public var lastLayer: WeightNormalizedLinear

    /// A head with DINO's initialisation: truncated normal (std 0.02) MLP weights, zero biases.
    public init(_ configuration: HeadConfiguration, using rng: inout some RandomNumberGenerator) {
        self.configuration = configuration
        let c = configuration
        let widths = c.layerCount == 1
            ? [c.inputDimension, c.bottleneckDimension]
            : [c.inputDimension] + Array(repeating: c.hiddenDimension, count: c.layerCount - 1) + [c.bottleneckDimension]
        mlp = (0..<widths.count - 1).map { Linear(inputSize: widths[$0], outputSize: widths[$0 + 1], using: &rng) }
        lastLayer = WeightNormalizedLinear(inputSize: c.bottleneckDimension, outputSize: c.outputDimension,
                                           magnitudeIsTrainable: !c.normLastLayer, using: &rng)
    }

    /// Parameters that never receive an update: `last_layer.weight_g` when `norm_last_layer` is on.
    public var frozenParameterNames: Set<String> { configuration.normLastLayer ? ["last_layer.weight_g"] : [] }

    /// What backward needs: each layer's input, GELU's slope at each pre-activation, and the rest.
    public struct Saved: Sendable {
        let layerInputs: [Tensor], slopes: [Tensor]
        let bottleneck: Tensor, normalized: Tensor, norms: [Float]
        let lastLayer: WeightNormalizedLinear.Saved
    }

    // snippet.head-forward
    /// `(R, D)` → `(R, K)`.
    public func forward(_ input: Tensor) -> (output: Tensor, saved: Saved) {
        if ComputePath.isFast { return fastForward(input) }
        var x = input
        var layerInputs = [Tensor](), slopes = [Tensor]()
        for (index, layer) in mlp.enumerated() {
            layerInputs.append(x)
            x = layer.forward(x).output
            if index < mlp.count - 1 {  // GELU between the layers, none after the last
                slopes.append(geluDerivative(x))  // GELU′ at the pre-activation: what backward needs
                x = gelu(x)
            }
        }
        let (normalized, norms) = l2Normalize(x)            // (R, bottleneck), unit rows
        let (output, lastSaved) = lastLayer.forward(normalized)  // (R, K)
        return (output, Saved(layerInputs: layerInputs, slopes: slopes, bottleneck: x,
                              normalized: normalized, norms: norms, lastLayer: lastSaved))
    }
    // snippet.end

    /// Given `∂L/∂output` `(R, K)`: `∂L/∂input` `(R, D)` and the parameters' gradients.
    public func backward(_ outputGradient: Tensor, saved: Saved) -> (input: Tensor, parameters: DINOHead) {
        if ComputePath.isFast { return fastBackward(outputGradient, saved: saved) }
        var parameters = self
        let (normalizedGradient, lastGradient) = lastLayer.backward(outputGradient, saved: saved.lastLayer)
        parameters.lastLayer = lastGradient
        var gradient = l2NormalizeBackward(normalizedGradient, output: saved.normalized, norms: saved.norms)
        for index in mlp.indices.reversed() {
            if index < mlp.count - 1 { gradient = gradient * saved.slopes[index] }  // ∂L/∂y · GELU′(x)
            let (inputGradient, layerGradient) = mlp[index].backward(gradient, input: saved.layerInputs[index])
            parameters.mlp[index] = layerGradient
            gradient = inputGradient
        }
        return (gradient, parameters)
    }

    /// `mlp.0.*`, `mlp.2.*`, … (or `mlp.*` for a single layer), `last_layer.weight_g`, `last_layer.weight_v`.
    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        if mlp.count == 1 {
            try mlp[0].visitParameters(prefix: prefix + "mlp.", body)
        } else {
            for index in mlp.indices { try mlp[index].visitParameters(prefix: prefix + "mlp.\(2 * index).", body) }
        }
        try lastLayer.visitParameters(prefix: prefix + "last_layer.", body)
    }
}
