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

    /// Where each head's matrices lie: its columns of the token-major `(B·T, width)` tensors (`qkv`'s
    /// output, width 3D; the context, width D), and its `(T, T)` block of the attention weights.
    struct Layouts {
        let mixed: HeadMatrices, context: HeadMatrices, scores: HeadMatrices
        init(tokens: Int, dimension: Int, heads: Int) {
            mixed = .tokenMajor(tokens: tokens, width: 3 * dimension, headWidth: dimension / heads)
            context = .tokenMajor(tokens: tokens, width: dimension, headWidth: dimension / heads)
            scores = .headMajor(heads: heads, rows: tokens, columns: tokens)
        }
    }

    // snippet.attention-forward
    /// `(B, T, D)` → `(B, T, D)`.
    ///
    /// Each head's `Q`, `K` and `V` are column blocks of the `qkv` output: the products read them in place
    /// (`HeadMatrices`) instead of copying every head into a tensor of its own, as timm's
    /// `reshape(B, T, 3, H, d).permute(…)` does.
    public func forward(_ input: Tensor) -> (output: Tensor, saved: Saved) {
        checkShapes(input.rank == 3 && input.shape[2] == dimension,
                    "Attention.forward: input \(input.shape), expected (B, T, \(dimension))")
        let (batch, tokens, headWidth, D) = (input.shape[0], input.shape[1], dimension / heads, dimension)
        let layout = Layouts(tokens: tokens, dimension: D, heads: heads)
        let flat = input.reshaped([batch * tokens, D])
        let mixed = qkv.forward(flat).output                       // (B·T, 3D): each row [q | k | v], H heads each
        // Scores Q_h K_hᵀ / √d for every head of every image, the scale folded into the product.
        let scores = mixed.withBase { qkv in
            Tensor(shape: [batch * heads, tokens, tokens]) { scores in          // (B·H, T, T)
                BLAS.gemmPerHead(images: batch, heads: heads, transposeA: false, transposeB: true, m: tokens, n: tokens, k: headWidth,
                                 alpha: scale, a: qkv, layout.mixed, b: qkv + D, layout.mixed, c: scores, layout.scores)
            }
        }
        let attention = softmax(scores)
        // Each head's output A_h V_h lands in its own columns of the context: the heads side by side.
        let context = mixed.withBase { qkv in
            attention.withBase { weights in
                Tensor(shape: [batch * tokens, D]) { context in                  // (B·T, D)
                    BLAS.gemmPerHead(images: batch, heads: heads, transposeA: false, transposeB: false, m: tokens, n: headWidth, k: tokens,
                                     a: weights, layout.scores, b: qkv + 2 * D, layout.mixed, c: context, layout.context)
                }
            }
        }
        let output = projection.forward(context).output.reshaped([batch, tokens, D])
        return (output, Saved(input: flat, mixed: mixed, context: context, attention: attention))
    }
    // snippet.end

    // snippet.attention-backward
    /// Given `∂L/∂output` `(B, T, D)`: `∂L/∂input` `(B, T, D)` and the parameters' gradients.
    public func backward(_ outputGradient: Tensor, saved: Saved) -> (input: Tensor, parameters: Attention) {
        let (batch, tokens, headWidth, D) = (outputGradient.shape[0], outputGradient.shape[1], dimension / heads, dimension)
        let layout = Layouts(tokens: tokens, dimension: D, heads: heads)
        let (contextGradient, projectionGradient) = projection.backward(
            outputGradient.reshaped([batch * tokens, D]), input: saved.context)          // (B·T, D)
        // ∂L/∂A_h = ∂L/∂context_h · V_hᵀ, then back through the softmax: ∂L/∂S_h, (B·H, T, T).
        let weightGradient = contextGradient.withBase { dContext in
            saved.mixed.withBase { qkv in
                Tensor(shape: [batch * heads, tokens, tokens]) { dWeights in
                    BLAS.gemmPerHead(images: batch, heads: heads, transposeA: false, transposeB: true, m: tokens, n: tokens, k: headWidth,
                                     a: dContext, layout.context, b: qkv + 2 * D, layout.mixed, c: dWeights, layout.scores)
                }
            }
        }
        let scoreGradient = softmaxBackward(probabilities: saved.attention, outputGradient: weightGradient)
        // The gradients of Q, K and V land in their columns of ∂L/∂mixed, (B·T, 3D); 1/√d is the scores' scale.
        let mixedGradient = saved.mixed.withBase { qkv in
            scoreGradient.withBase { dScores in
                saved.attention.withBase { weights in
                    contextGradient.withBase { dContext in
                        Tensor(shape: [batch * tokens, 3 * D]) { dMixed in
                            // ∂L/∂Q_h = ∂L/∂S_h · K_h / √d
                            BLAS.gemmPerHead(images: batch, heads: heads, transposeA: false, transposeB: false, m: tokens, n: headWidth, k: tokens,
                                             alpha: scale, a: dScores, layout.scores, b: qkv + D, layout.mixed, c: dMixed, layout.mixed)
                            // ∂L/∂K_h = ∂L/∂S_hᵀ · Q_h / √d
                            BLAS.gemmPerHead(images: batch, heads: heads, transposeA: true, transposeB: false, m: tokens, n: headWidth, k: tokens,
                                             alpha: scale, a: dScores, layout.scores, b: qkv, layout.mixed, c: dMixed + D, layout.mixed)
                            // ∂L/∂V_h = A_hᵀ · ∂L/∂context_h
                            BLAS.gemmPerHead(images: batch, heads: heads, transposeA: true, transposeB: false, m: tokens, n: headWidth, k: tokens,
                                             a: weights, layout.scores, b: dContext, layout.context, c: dMixed + 2 * D, layout.mixed)
                        }
                    }
                }
            }
        }
        let (inputGradient, qkvGradient) = qkv.backward(mixedGradient, input: saved.input)
        var parameters = self
        parameters.qkv = qkvGradient
        parameters.projection = projectionGradient
        return (inputGradient.reshaped([batch, tokens, D]), parameters)
    }
    // snippet.end

    /// `qkv.weight`, `qkv.bias`, `proj.weight`, `proj.bias`.
    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        try qkv.visitParameters(prefix: prefix + "qkv.", body)
        try projection.visitParameters(prefix: prefix + "proj.", body)
    }
}
