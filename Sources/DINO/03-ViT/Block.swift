/// One pre-norm transformer block: `x + DropPath(Attn(LN(x)))`, then `x + DropPath(MLP(LN(x)))`.
/// `(B, T, D)` → `(B, T, D)`.
public struct Block: Equatable, Sendable, Parameterized {
    /// `norm1`, before attention.
    public var norm1: LayerNorm
    /// `attn`.
    public var attention: Attention
    /// `norm2`, before the MLP.
    public var norm2: LayerNorm
    /// `mlp`.
    public var mlp: MLP
    /// The probability of dropping each residual branch per sample (0 in the teacher).
    public var dropPathRate: Float

    /// A block with DINO's initialisation.
    public init(dimension: Int, heads: Int, mlpRatio: Int, dropPathRate: Float, using rng: inout some RandomNumberGenerator) {
        norm1 = LayerNorm(dimension: dimension)
        attention = Attention(dimension: dimension, heads: heads, using: &rng)
        norm2 = LayerNorm(dimension: dimension)
        mlp = MLP(dimension: dimension, hidden: dimension * mlpRatio, using: &rng)
        self.dropPathRate = dropPathRate
    }

    /// What backward needs from each sub-layer, and the DropPath factors drawn.
    public struct Saved: Sendable {
        let norm1: LayerNorm.Saved, attention: Attention.Saved, norm2: LayerNorm.Saved, mlp: MLP.Saved
        let attentionFactors: [Float], mlpFactors: [Float]
        /// The attention weights of this block, `(B·H, T, T)`.
        public var attentionWeights: Tensor { attention.attention }
    }

    // snippet.block-forward
    /// `(B, T, D)` → `(B, T, D)`. With `training` off, DropPath is the identity and draws nothing.
    public func forward(_ input: Tensor, training: Bool, using rng: inout some RandomNumberGenerator) -> (output: Tensor, saved: Saved) {
        let (batch, tokens, dimension) = (input.shape[0], input.shape[1], input.shape[2])
        let rate = training ? dropPathRate : 0
        let (normalized1, norm1Saved) = norm1.forward(input.reshaped([-1, dimension]))
        let (attended, attentionSaved) = attention.forward(normalized1.reshaped([batch, tokens, dimension]))
        let attentionFactors = dropPathFactors(batch: batch, rate: rate, using: &rng)
        let afterAttention = addResidual(input, toBranch: attended, scaledBy: attentionFactors)
        let (normalized2, norm2Saved) = norm2.forward(afterAttention.reshaped([-1, dimension]))
        let (transformed, mlpSaved) = mlp.forward(normalized2)
        let mlpFactors = dropPathFactors(batch: batch, rate: rate, using: &rng)
        let output = addResidual(afterAttention, toBranch: transformed.reshaped(input.shape), scaledBy: mlpFactors)
        return (output, Saved(norm1: norm1Saved, attention: attentionSaved, norm2: norm2Saved, mlp: mlpSaved,
                              attentionFactors: attentionFactors, mlpFactors: mlpFactors))
    }
    // snippet.end

    /// Inference: `(B, T, D)` → `(B, T, D)`, as `forward` without DropPath, keeping nothing for a
    /// backward pass (the teacher and feature extraction).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        let dimension = input.shape[2]
        let afterAttention = input + attention.forward(norm1(input.reshaped([-1, dimension])).reshaped(input.shape)).output
        return afterAttention + mlp(norm2(afterAttention.reshaped([-1, dimension]))).reshaped(input.shape)
    }

    // snippet.block-backward
    /// Given `∂L/∂output` `(B, T, D)`: each residual connection passes the gradient through unchanged
    /// and adds what comes back through its branch.
    public func backward(_ outputGradient: Tensor, saved: Saved) -> (input: Tensor, parameters: Block) {
        let shape = outputGradient.shape, dimension = shape[2]
        let branch2 = scaleSamples(outputGradient, by: saved.mlpFactors).reshaped([-1, dimension])
        let (normalized2Gradient, mlpGradient) = mlp.backward(branch2, saved: saved.mlp)
        let (norm2InputGradient, norm2Gradient) = norm2.backward(normalized2Gradient, saved: saved.norm2)
        var afterAttentionGradient = norm2InputGradient.reshaped(shape)
        afterAttentionGradient.add(outputGradient)
        let branch1 = scaleSamples(afterAttentionGradient, by: saved.attentionFactors)
        let (normalized1Gradient, attentionGradient) = attention.backward(branch1, saved: saved.attention)
        let (norm1InputGradient, norm1Gradient) = norm1.backward(normalized1Gradient.reshaped([-1, dimension]), saved: saved.norm1)
        var parameters = self
        (parameters.norm1, parameters.attention, parameters.norm2, parameters.mlp) = (norm1Gradient, attentionGradient, norm2Gradient, mlpGradient)
        var inputGradient = norm1InputGradient.reshaped(shape)
        inputGradient.add(afterAttentionGradient)
        return (inputGradient, parameters)
    }
    // snippet.end

    /// `norm1.*`, `attn.*`, `norm2.*`, `mlp.*`.
    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        try norm1.visitParameters(prefix: prefix + "norm1.", body)
        try attention.visitParameters(prefix: prefix + "attn.", body)
        try norm2.visitParameters(prefix: prefix + "norm2.", body)
        try mlp.visitParameters(prefix: prefix + "mlp.", body)
    }
}
