extension Attention {
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

    /// `forward` on the fast path.
    ///
    /// Each head's `Q`, `K` and `V` are column blocks of the `qkv` output: the products read them in place
    /// (`HeadMatrices`) instead of copying every head into a tensor of its own, as timm's
    /// `reshape(B, T, 3, H, d).permute(…)` does. A head runs its three steps back to back, while its
    /// `(T, T)` weights are still in the core's cache.
    func fastForward(_ input: Tensor) -> (output: Tensor, saved: Saved) {
        let (batch, tokens, headWidth, D) = (input.shape[0], input.shape[1], dimension / heads, dimension)
        let (layout, scale) = (Layouts(tokens: tokens, dimension: D, heads: heads), scale)
        let flat = input.reshaped([batch * tokens, D])
        let mixed = qkv.forward(flat).output                       // (B·T, 3D): each row [q | k | v], H heads each
        var context = Tensor(zeros: [0])  // filled with the weights, in the same pass over the heads
        let attention = mixed.withBase { qkvBase in
            Tensor(shape: [batch * heads, tokens, tokens]) { weightsBase in          // (B·H, T, T)
                context = Tensor(shape: [batch * tokens, D]) { contextBase in       // (B·T, D)
                    let (qkv, weights, contexts) = (
                        SendablePointer(UnsafeMutablePointer(mutating: qkvBase)), SendablePointer(weightsBase), SendablePointer(contextBase))
                    BLAS.forEachHead(images: batch, heads: heads) { image, head, _ in
                        let q = layout.mixed.start(qkv.base, image: image, head: head)       // K and V follow, D and 2D columns on
                        let weights = layout.scores.start(weights.base, image: image, head: head)
                        // Scores Q_h K_hᵀ / √d, the scale folded into the product; then each row's softmax.
                        BLAS.smallGemm(transposeB: true, m: tokens, n: tokens, k: headWidth, alpha: scale,
                                       a: q, lda: 3 * D, b: q + D, ldb: 3 * D, c: weights, ldc: tokens)
                        softmaxRows(weights, rows: tokens, width: tokens)
                        // The head's output A_h V_h lands in its own columns of the context: the heads side by side.
                        BLAS.smallGemm(m: tokens, n: headWidth, k: tokens, a: weights, lda: tokens, b: q + 2 * D, ldb: 3 * D,
                                       c: layout.context.start(contexts.base, image: image, head: head), ldc: D)
                    }
                }
            }
        }
        let output = projection.forward(context).output.reshaped([batch, tokens, D])
        return (output, Saved(input: flat, mixed: mixed, context: context, attention: attention))
    }

    /// `backward` on the fast path: each head runs its four products and the softmax's backward pass back
    /// to back, its `(T, T)` gradient in the core's own scratch.
    func fastBackward(_ outputGradient: Tensor, saved: Saved) -> (input: Tensor, parameters: Attention) {
        let (batch, tokens, headWidth, D) = (outputGradient.shape[0], outputGradient.shape[1], dimension / heads, dimension)
        let (layout, scale) = (Layouts(tokens: tokens, dimension: D, heads: heads), scale)
        let (contextGradient, projectionGradient) = projection.backward(
            outputGradient.reshaped([batch * tokens, D]), input: saved.context)          // (B·T, D)
        // The gradients of Q, K and V land in their columns of ∂L/∂mixed, (B·T, 3D).
        let mixedGradient = saved.mixed.withBase { qkvBase in
            saved.attention.withBase { weightsBase in
                contextGradient.withBase { dContextBase in
                    Tensor(shape: [batch * tokens, 3 * D]) { dMixedBase in
                        let (qkv, weights, dContexts, dMixed) = (
                            SendablePointer(UnsafeMutablePointer(mutating: qkvBase)), SendablePointer(UnsafeMutablePointer(mutating: weightsBase)),
                            SendablePointer(UnsafeMutablePointer(mutating: dContextBase)), SendablePointer(dMixedBase))
                        // Each head's ∂L/∂A_h, then ∂L/∂S_h, in `dScores`: (T, T), the core's own.
                        BLAS.forEachHead(images: batch, heads: heads, scratchCount: tokens * tokens) { image, head, dScores in
                            let q = layout.mixed.start(qkv.base, image: image, head: head)   // K and V follow, D and 2D columns on
                            let dQ = layout.mixed.start(dMixed.base, image: image, head: head)
                            let weights = layout.scores.start(weights.base, image: image, head: head)
                            let dContext = layout.context.start(dContexts.base, image: image, head: head)
                            // ∂L/∂A_h = ∂L/∂context_h · V_hᵀ, then back through the softmax, row by row.
                            BLAS.smallGemm(transposeB: true, m: tokens, n: tokens, k: headWidth,
                                           a: dContext, lda: D, b: q + 2 * D, ldb: 3 * D, c: dScores, ldc: tokens)
                            softmaxBackwardRows(probabilities: weights, gradient: dScores, rows: tokens, width: tokens)
                            // ∂L/∂Q_h = ∂L/∂S_h · K_h / √d and ∂L/∂K_h = ∂L/∂S_hᵀ · Q_h / √d (1/√d is the scores' scale)
                            BLAS.smallGemm(m: tokens, n: headWidth, k: tokens, alpha: scale,
                                           a: dScores, lda: tokens, b: q + D, ldb: 3 * D, c: dQ, ldc: 3 * D)
                            BLAS.smallGemm(transposeA: true, m: tokens, n: headWidth, k: tokens, alpha: scale,
                                           a: dScores, lda: tokens, b: q, ldb: 3 * D, c: dQ + D, ldc: 3 * D)
                            // ∂L/∂V_h = A_hᵀ · ∂L/∂context_h
                            BLAS.smallGemm(transposeA: true, m: tokens, n: headWidth, k: tokens,
                                           a: weights, lda: tokens, b: dContext, ldb: D, c: dQ + 2 * D, ldc: 3 * D)
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
}
