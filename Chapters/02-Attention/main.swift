/*:
 # 02 · Attention: every token looks at every other

 Self-attention lets each token gather information from all the others, weighted by how relevant they
 are. For one head, with the tokens `X` `(T, D)`:

 ```math
 Q = X W_q,\quad K = X W_k,\quad V = X W_v,\qquad
 \mathrm{Attention}(X) = \mathrm{softmax}\!\left(\frac{Q K^\top}{\sqrt{d}}\right) V
 ```

 Row `t` of the softmax says how much token `t` attends to each token; it sums to 1. **Multi-head**
 attention runs `H` such heads of width `d = D/H` side by side and mixes their outputs with a final
 linear map. In DINO the last block's attention of the CLS token is what the paper's famous pictures
 show: heads that, without any labels, attend to the object.
 */
// weave: time 60 min (30 reading and running, 30 for the exercises)
import DINO
import Figures
import Notebook

/*:
 ## 1. Queries, keys and values, for all heads at once

 One linear layer `qkv` `(3D, D)`, with a bias, produces queries, keys and values for every head; the
 output of each token is laid out `[q | k | v]`, each split into `H` heads. `splitHeads` gathers head
 `h` of image `b` from its `d` columns into a `(T, d)` matrix of its own, all of them stacked as
 `(B·H, T, d)`, as timm's `reshape(B, T, 3, H, d).permute(2, 0, 3, 1, 4)` does; every head is then
 an independent matrix product, and `joinHeads` puts the heads' outputs back side by side.

 @snippet(attention-heads)

 Each head computes $\mathrm{softmax}(Q_h K_h^\top / \sqrt{d}) V_h$, and `proj` mixes the heads:

 @snippet(attention-forward)
 */
func queriesKeysAndValues(_ out: Notebook) {
    var rng = SeededGenerator(seed: 1)
    let attention = Attention(dimension: 12, heads: 3, using: &rng)
    let tokens = Tensor.normal([2, 5, 12], using: &rng)
    let (output, saved) = attention.forward(tokens)
    out.print("input", tokens.shape, "→ output", output.shape)
    out.print("qkv.weight", attention.qkv.weight.shape, " proj.weight", attention.projection.weight.shape)
    out.print("attention weights", saved.attention.shape, "= (B·H, T, T)")
}

/*:
 ## 2. Scaled dot products and the softmax

 The scores $QK^\top$ grow with the head width `d` (a sum of `d` products), which would push the softmax
 into saturation where its gradient vanishes; dividing by $\sqrt{d}$ keeps their spread near 1. Here is one
 head's attention matrix for 5 tokens, with weights scaled up from the 0.02 initialisation so the
 pattern is visible. Every row sums to 1.
 */
func scaledDotProductsAndTheSoftmax(_ out: Notebook) {
    var rng = SeededGenerator(seed: 2)
    var attention = Attention(dimension: 8, heads: 2, using: &rng)
    attention.qkv.weight = .normal(attention.qkv.weight.shape, std: 0.6, using: &rng)
    let saved = attention.forward(Tensor.normal([1, 5, 8], using: &rng)).saved
    let head0 = saved.attention.rows(0..<1).reshaped([5, 5])
    out.print("head 0, rows: query token, columns: key token")
    out.print(head0.formatted(decimals: 2))
    out.print("row sums:", fixed((0..<5).map { r in (0..<5).reduce(Float(0)) { $0 + head0[r, $1] } }, 3))
    let heads = (0..<2).map { ImageGrid.Picture(saved.attention.rows($0..<$0 + 1).scalars, width: 5, height: 5, palette: .heat) }
    let grid = ImageGrid(title: "Attention weights (row: query, column: key)", columnTitles: ["head 0", "head 1"], rows: [heads], cellSize: 150)
    out.figure("02-attention-weights.svg", caption: "each head's 5×5 attention matrix; every row sums to 1", svg: grid.svg())
}

/*:
 ## 3. The backward pass

 Backward retraces the forward pass. The softmax is the interesting step. With $p = \mathrm{softmax}(z)$,
 $\partial p_i/\partial z_j = p_i(\delta_{ij} - p_j)$, so for an incoming gradient $g = \partial L/\partial p$

 ```math
 \frac{\partial L}{\partial z_j} = p_j \Big(g_j - \sum_k p_k g_k\Big),
 ```

 one dot product per row, never the `T×T` Jacobian:

 @snippet(softmax-backward)

 The products are differentiated like the linear layer of chapter 00: for $S = QK^\top \cdot s$,
 $\partial L/\partial Q = (\partial L/\partial S)\cdot K\cdot s$ and $\partial L/\partial K = (\partial L/\partial S)^\top \cdot Q\cdot s$; for $O = A\cdot V$, $\partial L/\partial A = (\partial L/\partial O)\cdot V^\top$ and
 $\partial L/\partial V = A^\top \cdot (\partial L/\partial O)$. As in the forward pass, every head of every image goes through each step
 together: the `(B·H, T, T)` tensor $\partial L/\partial S$ holds all of them, one `T×T` matrix per head. (The fast path
 of the appendix works head by head instead, with one scratch matrix per core; the mathematics is the same.)

 @snippet(attention-backward)
 */
func theBackwardPass(_ out: Notebook) {
    var rng = SeededGenerator(seed: 3)
    var attention = Attention(dimension: 6, heads: 2, using: &rng)
    attention.visitParameters(prefix: "") { _, tensor in tensor = .normal(tensor.shape, std: 0.5, using: &rng) }
    let x = Tensor.normal([1, 4, 6], using: &rng)
    let projection = Tensor.uniform([1, 4, 6], in: -1..<1, using: &rng)
    func loss(_ input: Tensor) -> Double {
        zip(attention.forward(input).output.scalars, projection.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    let analytic = attention.backward(projection, saved: attention.forward(x).saved).input
    var worst: Float = 0
    for i in 0..<x.count {
        var plus = x, minus = x
        plus.scalars[i] += 1e-2
        minus.scalars[i] -= 1e-2
        let numeric = Float((loss(plus) - loss(minus)) / 2e-2)
        worst = max(worst, abs(numeric - analytic.scalars[i]) / max(abs(numeric), 1e-2))
    }
    out.print("∂L/∂x, first row:", fixed(analytic.scalars.prefix(6), 4))
    out.print("central differences agree on all \(x.count) entries within 1e-2:", worst < 1e-2)
}

/*:
 ## 4. Keeping the CLS attention

 `Saved.attention` keeps the weights, so the trainer can draw what the last block's CLS token looks at
 (row 0 of each head, without its own column, reshaped to the patch grid). Untrained, the map is
 nearly flat at the 0.02 initialisation; after DINO training it outlines the object. Here is the map of
 an untrained block on the ankle boot of chapter 01, its weights scaled up so that the keys follow the
 pixels, brightest where attention is highest:
 */
func keepingTheCLSAttention(_ out: Notebook) {
    var rng = SeededGenerator(seed: 4)
    var embedding = TokenEmbedding(imageSize: 28, patchSize: 4, channels: 1, dimension: 12, using: &rng)
    embedding.patchEmbedding.weight = .normal(embedding.patchEmbedding.weight.shape, std: 0.5, using: &rng)
    var attention = Attention(dimension: 12, heads: 3, using: &rng)
    attention.qkv.weight = .normal(attention.qkv.weight.shape, std: 0.5, using: &rng)
    let tokens = embedding.forward(Tensor(shape: [1, 1, 28, 28], scalars: sampleImage())).output
    let weights = attention.forward(tokens).saved.attention  // (3, 50, 50)
    let clsToPatches = Array(weights.scalars[1..<50])        // head 0, row 0 (CLS), columns 1…49
    let (low, high) = (clsToPatches.min()!, clsToPatches.max()!)
    out.print(textPicture(clsToPatches.map { ($0 - low) / max(high - low, 1e-9) }, width: 7, height: 7))
    out.print("CLS attention of head 0 over the 7×7 patches: from", fixed(low, 4), "to", fixed(high, 4), "(uniform: 0.0200)")
}

/*:
 ## Summary

 - Attention is $\mathrm{softmax}(QK^\top /\sqrt{d})\cdot V$ per head; one `qkv` layer makes all heads' inputs, one `proj` mixes
   their outputs.
 - The softmax backward is $p \odot (g - p\cdot g)$ per row; the products are differentiated like any matrix
   product.
 - The attention weights are kept: the trainer draws the last block's CLS attention from them.

 ## Exercises

 1. **The softmax backward, with a temperature.** DINO's loss divides the student's logits by
    $\tau_s = 0.1$ before the softmax. Write `exerciseTemperedSoftmaxBackward(probabilities:outputGradient:temperature:)`
    in `Exercises/Stubs/Exercise02/TemperedSoftmaxBackward.swift`: $\partial L/\partial z$ for $p = \mathrm{softmax}(z/\tau)$. Check it
    with `DINO_EXERCISES=stubs swift test --filter Exercise02`.
 2. **One head's attention weights.** Write `exerciseAttentionWeights(queries:keys:)` in
    `Exercises/Stubs/Exercise02/AttentionWeights.swift`: $\mathrm{softmax}(QK^\top/\sqrt{d})$, one row per query.

 After trying them: [the solutions discussed](exercise-solutions.md#chapter-02), with the wrong answers
 their tests catch.
 */
/// The chapter's steps in reading order (a function: a global in `main.swift` reads 0 under tests).
func chapter() -> Chapter {
    Chapter(number: 2, title: "Attention", steps: [
        Step("Queries, keys and values, for all heads at once", queriesKeysAndValues),
        Step("Scaled dot products and the softmax", scaledDotProductsAndTheSoftmax),
        Step("The backward pass", theBackwardPass),
        Step("Keeping the CLS attention", keepingTheCLSAttention),
    ])
}

chapter().main()
