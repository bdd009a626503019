import Foundation

/// Multi-head self-attention, as timm's and DINO's `Attention`: `(B, T, D)` → `(B, T, D)`.
///
/// One linear layer makes queries, keys and values for all heads at once (`qkv`, with bias); each head
/// `h` of width `d = D / H` computes `softmax(Q_h K_hᵀ / √d) V_h`; the heads are concatenated and
/// projected (`proj`). The attention weights are kept in `Saved`, so later chapters can draw the last
/// block's CLS attention.
public struct Attention: Equatable, Sendable, Parameterized {
    /// `attn.qkv`: `(3D, D)`; output features ordered `[q | k | v]`, each split into heads.
    public var qkv: Linear
    /// `attn.proj`: `(D, D)`.
    public var projection: Linear
    /// The number of heads `H`.
    public let heads: Int

    /// The embedding width `D`.
    public var dimension: Int { projection.outputSize }
    /// `1/√d`, with `d` the width of one head.
    public var scale: Float { 1 / Float(dimension / heads).squareRoot() }

    /// An attention layer with DINO's initialisation (truncated normal 0.02, zero biases).
    public init(dimension: Int, heads: Int, using rng: inout some RandomNumberGenerator) {
        checkShapes(heads > 0 && dimension % heads == 0, "Attention: dimension \(dimension) is not divisible by \(heads) heads")
        qkv = Linear(inputSize: dimension, outputSize: 3 * dimension, using: &rng)
        projection = Linear(inputSize: dimension, outputSize: dimension, using: &rng)
        self.heads = heads
    }

    /// What backward needs; `attention` is `(B·H, T, T)`, row `t` of head `h` of image `b` being how much
    /// token `t` attends to each token.
    public struct Saved: Sendable {
        let input: Tensor, query: Tensor, key: Tensor, value: Tensor, context: Tensor
        /// The attention weights `softmax(QKᵀ/√d)`, `(B·H, T, T)`.
        public let attention: Tensor
    }

    // snippet.attention-forward
    /// `(B, T, D)` → `(B, T, D)`.
    public func forward(_ input: Tensor) -> (output: Tensor, saved: Saved) {
        checkShapes(input.rank == 3 && input.shape[2] == dimension,
                    "Attention.forward: input \(input.shape), expected (B, T, \(dimension))")
        let (batch, tokens) = (input.shape[0], input.shape[1])
        let flat = input.reshaped([batch * tokens, dimension])
        let mixed = qkv.forward(flat).output                                  // (B·T, 3D)
        let (query, key, value) = splitHeads(mixed, batch: batch, tokens: tokens)  // each (B·H, T, d)
        let scores = batchedMatmul(query, key, transposeB: true) * scale       // (B·H, T, T)
        let attention = softmax(scores)
        let perHead = batchedMatmul(attention, value)                          // (B·H, T, d)
        let context = mergeHeads(perHead, batch: batch, tokens: tokens)        // (B·T, D)
        let output = projection.forward(context).output.reshaped([batch, tokens, dimension])
        return (output, Saved(input: flat, query: query, key: key, value: value, context: context, attention: attention))
    }
    // snippet.end

    // snippet.attention-backward
    /// Given `∂L/∂output` `(B, T, D)`: `∂L/∂input` `(B, T, D)` and the parameters' gradients.
    public func backward(_ outputGradient: Tensor, saved: Saved) -> (input: Tensor, parameters: Attention) {
        let (batch, tokens) = (outputGradient.shape[0], outputGradient.shape[1])
        let (contextGradient, projectionGradient) = projection.backward(
            outputGradient.reshaped([batch * tokens, dimension]), input: saved.context)
        let perHeadGradient = splitOneHead(contextGradient, batch: batch, tokens: tokens)           // (B·H, T, d)
        let attentionGradient = batchedMatmul(perHeadGradient, saved.value, transposeB: true)       // (B·H, T, T)
        let valueGradient = batchedMatmul(saved.attention, perHeadGradient, transposeA: true)       // (B·H, T, d)
        let scoreGradient = softmaxBackward(probabilities: saved.attention, outputGradient: attentionGradient) * scale
        let queryGradient = batchedMatmul(scoreGradient, saved.key)                                 // (B·H, T, d)
        let keyGradient = batchedMatmul(scoreGradient, saved.query, transposeA: true)               // (B·H, T, d)
        let mixedGradient = joinHeads(queryGradient, keyGradient, valueGradient, batch: batch, tokens: tokens)
        let (inputGradient, qkvGradient) = qkv.backward(mixedGradient, input: saved.input)
        var parameters = self
        parameters.qkv = qkvGradient
        parameters.projection = projectionGradient
        return (inputGradient.reshaped([batch, tokens, dimension]), parameters)
    }
    // snippet.end

    /// Moves one block of `D` features per token between the token-major layout, where each token's row
    /// holds `parts` such blocks side by side (`(B·T, parts·D)`, each block split into `H` heads of `d`),
    /// and the head-major layout `(B·H, T, d)` that makes every head of every image one matrix product.
    /// This is timm's `reshape(B, T, parts, H, d).permute(…)` and its inverse.
    func moveHeads(tokenMajor: inout Tensor, headMajor: inout Tensor, part: Int, parts: Int, batch: Int, tokens: Int, toHeadMajor: Bool) {
        let headWidth = dimension / heads
        for b in 0..<batch {
            for t in 0..<tokens {
                for h in 0..<heads {
                    let tokenOffset = (b * tokens + t) * parts * dimension + part * dimension + h * headWidth
                    let headOffset = ((b * heads + h) * tokens + t) * headWidth
                    for i in 0..<headWidth {
                        if toHeadMajor {
                            headMajor.scalars[headOffset + i] = tokenMajor.scalars[tokenOffset + i]
                        } else {
                            tokenMajor.scalars[tokenOffset + i] = headMajor.scalars[headOffset + i]
                        }
                    }
                }
            }
        }
    }

    /// `(B·T, 3D)` laid out `[q | k | v]` per token → three `(B·H, T, d)` tensors.
    func splitHeads(_ mixed: Tensor, batch: Int, tokens: Int) -> (Tensor, Tensor, Tensor) {
        var source = mixed
        let parts = (0..<3).map { part -> Tensor in
            var perHead = Tensor(zeros: [batch * heads, tokens, dimension / heads])
            moveHeads(tokenMajor: &source, headMajor: &perHead, part: part, parts: 3, batch: batch, tokens: tokens, toHeadMajor: true)
            return perHead
        }
        return (parts[0], parts[1], parts[2])
    }

    /// The inverse of `splitHeads`: three `(B·H, T, d)` gradients → `(B·T, 3D)`.
    func joinHeads(_ query: Tensor, _ key: Tensor, _ value: Tensor, batch: Int, tokens: Int) -> Tensor {
        var mixed = Tensor(zeros: [batch * tokens, 3 * dimension])
        for (part, tensor) in [query, key, value].enumerated() {
            var source = tensor
            moveHeads(tokenMajor: &mixed, headMajor: &source, part: part, parts: 3, batch: batch, tokens: tokens, toHeadMajor: false)
        }
        return mixed
    }

    /// `(B·H, T, d)` → `(B·T, D)`: the heads side by side in each token's row.
    func mergeHeads(_ perHead: Tensor, batch: Int, tokens: Int) -> Tensor {
        var (merged, source) = (Tensor(zeros: [batch * tokens, dimension]), perHead)
        moveHeads(tokenMajor: &merged, headMajor: &source, part: 0, parts: 1, batch: batch, tokens: tokens, toHeadMajor: false)
        return merged
    }

    /// The inverse of `mergeHeads`: `(B·T, D)` → `(B·H, T, d)`.
    func splitOneHead(_ merged: Tensor, batch: Int, tokens: Int) -> Tensor {
        var (source, perHead) = (merged, Tensor(zeros: [batch * heads, tokens, dimension / heads]))
        moveHeads(tokenMajor: &source, headMajor: &perHead, part: 0, parts: 1, batch: batch, tokens: tokens, toHeadMajor: true)
        return perHead
    }

    /// `qkv.weight`, `qkv.bias`, `proj.weight`, `proj.bias`.
    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        try qkv.visitParameters(prefix: prefix + "qkv.", body)
        try projection.visitParameters(prefix: prefix + "proj.", body)
    }
}
