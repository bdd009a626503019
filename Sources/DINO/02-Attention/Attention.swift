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
        /// `input` `(B·T, D)`, `mixed` the `qkv` output `(B·T, 3D)`, `context` the heads' outputs `(B·T, D)`.
        let input: Tensor, mixed: Tensor, context: Tensor
        /// The attention weights `softmax(QKᵀ/√d)`, `(B·H, T, T)`.
        public let attention: Tensor
    }

    // snippet.attention-forward
    /// `(B, T, D)` → `(B, T, D)`: for each image and head, `softmax(Q_h K_hᵀ / √d) V_h`; the heads side
    /// by side, then projected.
    public func forward(_ input: Tensor) -> (output: Tensor, saved: Saved) {
        checkShapes(input.rank == 3 && input.shape[2] == dimension,
                    "Attention.forward: input \(input.shape), expected (B, T, \(dimension))")
        if ComputePath.isFast { return fastForward(input) }
        let (batch, tokens) = (input.shape[0], input.shape[1])
        let flat = input.reshaped([batch * tokens, dimension])
        let mixed = qkv.forward(flat).output                                      // (B·T, 3D): rows [q | k | v]
        let (q, k, v) = (splitHeads(mixed, part: 0, batch: batch), splitHeads(mixed, part: 1, batch: batch),
                         splitHeads(mixed, part: 2, batch: batch))                // each (B·H, T, d)
        let scores = batchedMatmul(q, k, transposeB: true) * scale               // (B·H, T, T)
        let attention = softmax(scores)                                           // each row sums to 1
        let context = joinHeads([batchedMatmul(attention, v)], batch: batch)     // (B·T, D)
        let output = projection.forward(context).output.reshaped([batch, tokens, dimension])
        return (output, Saved(input: flat, mixed: mixed, context: context, attention: attention))
    }
    // snippet.end

    // snippet.attention-backward
    /// Given `∂L/∂output` `(B, T, D)`: `∂L/∂input` `(B, T, D)` and the parameters' gradients. With
    /// `S = QKᵀ/√d`, `A = softmax(S)` and `O = AV` per head: `∂L/∂A = ∂L/∂O · Vᵀ`, `∂L/∂V = Aᵀ · ∂L/∂O`,
    /// `∂L/∂S` through the softmax, `∂L/∂Q = ∂L/∂S · K / √d`, `∂L/∂K = ∂L/∂Sᵀ · Q / √d`.
    public func backward(_ outputGradient: Tensor, saved: Saved) -> (input: Tensor, parameters: Attention) {
        checkShapes(outputGradient.rank == 3 && outputGradient.shape[2] == dimension,
                    "Attention.backward: gradient \(outputGradient.shape), expected (B, T, \(dimension))")
        if ComputePath.isFast { return fastBackward(outputGradient, saved: saved) }
        let (batch, tokens) = (outputGradient.shape[0], outputGradient.shape[1])
        let (contextGradient, projectionGradient) = projection.backward(
            outputGradient.reshaped([batch * tokens, dimension]), input: saved.context)   // (B·T, D)
        let outputOfHeadsGradient = splitHeads(contextGradient, part: 0, batch: batch)      // (B·H, T, d)
        let (q, k, v) = (splitHeads(saved.mixed, part: 0, batch: batch), splitHeads(saved.mixed, part: 1, batch: batch),
                         splitHeads(saved.mixed, part: 2, batch: batch))
        let attentionGradient = batchedMatmul(outputOfHeadsGradient, v, transposeB: true)            // (B·H, T, T)
        let valueGradient = batchedMatmul(saved.attention, outputOfHeadsGradient, transposeA: true)  // (B·H, T, d)
        let scoreGradient = softmaxBackward(probabilities: saved.attention, outputGradient: attentionGradient) * scale
        let queryGradient = batchedMatmul(scoreGradient, k)                                          // (B·H, T, d)
        let keyGradient = batchedMatmul(scoreGradient, q, transposeA: true)                          // (B·H, T, d)
        let mixedGradient = joinHeads([queryGradient, keyGradient, valueGradient], batch: batch)     // (B·T, 3D)
        let (inputGradient, qkvGradient) = qkv.backward(mixedGradient, input: saved.input)
        var parameters = self
        parameters.qkv = qkvGradient
        parameters.projection = projectionGradient
        return (inputGradient.reshaped([batch, tokens, dimension]), parameters)
    }
    // snippet.end

    // snippet.attention-heads
    /// The heads of one part of a token-major matrix `(B·T, parts·D)` (`qkv`'s output has three parts,
    /// `[q | k | v]`; the context one): `(B·H, T, d)`, head `h` of image `b` being the `d` columns
    /// `part·D + h·d ..< part·D + (h+1)·d` of that image's `T` rows.
    func splitHeads(_ matrix: Tensor, part: Int, batch: Int) -> Tensor {
        let (width, headWidth) = (matrix.shape[1], dimension / heads)
        let tokens = matrix.shape[0] / batch
        var result = [Float]()
        result.reserveCapacity(batch * tokens * dimension)
        for b in 0..<batch {
            for h in 0..<heads {
                for t in 0..<tokens {
                    let start = (b * tokens + t) * width + part * dimension + h * headWidth
                    result += matrix.scalars[start..<start + headWidth]
                }
            }
        }
        return Tensor(shape: [batch * heads, tokens, headWidth], scalars: result)
    }

    /// The inverse of `splitHeads`: parts of `(B·H, T, d)` heads side by side again, `(B·T, parts·D)`.
    func joinHeads(_ parts: [Tensor], batch: Int) -> Tensor {
        let (tokens, headWidth) = (parts[0].shape[1], dimension / heads)
        var result = [Float]()
        result.reserveCapacity(batch * tokens * parts.count * dimension)
        for b in 0..<batch {
            for t in 0..<tokens {
                for part in parts {
                    for h in 0..<heads {
                        let start = ((b * heads + h) * tokens + t) * headWidth
                        result += part.scalars[start..<start + headWidth]
                    }
                }
            }
        }
        return Tensor(shape: [batch * tokens, parts.count * dimension], scalars: result)
    }
    // snippet.end

    /// `qkv.weight`, `qkv.bias`, `proj.weight`, `proj.bias`.
    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        try qkv.visitParameters(prefix: prefix + "qkv.", body)
        try projection.visitParameters(prefix: prefix + "proj.", body)
    }
}
