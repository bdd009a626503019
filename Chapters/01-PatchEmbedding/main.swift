/*:
 # 01 · Patch embedding: an image becomes a sequence

 A transformer reads a sequence of vectors. A Vision Transformer (ViT) makes one from an image by
 cutting it into `p×p` patches, flattening each patch and mapping it linearly to `D` numbers: the
 **patch embedding**. It then puts a learned **CLS token** in front, whose final state will be the
 image's feature, and adds a learned **position embedding** to every token, since attention by itself
 does not know where a patch came from.

 DINO adds one twist that this chapter gets exactly right: its *local crops* are smaller than the
 training images, so their patch grid is smaller, and the position embedding must be **resampled** to
 that grid, bicubically, with the scale-factor rule of the reference code.
 */
// weave: time 40 min (20 reading and running, 20 for the exercises)
import DINO
import Figures
import Notebook

/*:
 ## 1. An image cut into patches

 Here is a 28×28 Fashion-MNIST image with patch size 4: a 7×7 grid, 49 patches of 16 pixels each. For
 DINO's 12×12 local crops the grid is 3×3.
 */
func anImageCutIntoPatches(_ out: Notebook) {
    let pixels = sampleImage()
    out.print(textPicture(pixels, width: 28, height: 28, gridEvery: 4))
    let image = Tensor(shape: [1, 1, 28, 28], scalars: pixels)
    let patches = patchify(image, patchSize: 4)
    out.print("image", image.shape, "→ patches", patches.shape, "(49 patches of 1·4·4 values)")
    let pictures = (0..<49).map { ImageGrid.Picture(Array(patches.scalars[$0 * 16..<($0 + 1) * 16]), width: 4, height: 4, palette: .grey) }
    let grid = ImageGrid(title: "The image as a 7×7 grid of 4×4 patches", rows: (0..<7).map { Array(pictures[$0 * 7..<($0 + 1) * 7]) },
                         cellSize: 40, gap: 4)
    out.figure("01-patches.svg", caption: "the 28×28 image cut into 49 patches of 4×4 pixels, in reading order", svg: grid.svg())
}

/*:
 ## 2. Patchify, then one matrix product

 The reference implements the patch embedding as a convolution with kernel `p` and stride `p`. Since the
 patches do not overlap, that convolution is a reshape (`patchify`) followed by one matrix product with
 the weight, which PyTorch stores as `[D, C, p, p]`. Flattening each patch channel first, then row, then
 column gives exactly the order of that weight's storage, so it is used as a `(D, C·p·p)` matrix with no
 copy.

 @snippet(patchify)

 @snippet(patch-embedding-forward)

 The run below checks one output against the convolution written as its definition,
 `out[d, gy, gx] = b[d] + Σ_{c,ky,kx} w[d, c, ky, kx] · x[c, p·gy + ky, p·gx + kx]`.
 */
func patchifyThenOneMatrixProduct(_ out: Notebook) {
    var rng = SeededGenerator(seed: 1)
    let layer = PatchEmbedding(channels: 1, patchSize: 4, dimension: 8, using: &rng)
    let image = Tensor(shape: [1, 1, 28, 28], scalars: sampleImage())
    let tokens = layer.forward(image).output
    out.print("tokens", tokens.shape, " weight", layer.weight.shape)
    let (d, gy, gx) = (3, 5, 2)
    var convolution = layer.bias[d]
    for ky in 0..<4 { for kx in 0..<4 { convolution += layer.weight[d, 0, ky, kx] * image[0, 0, 4 * gy + ky, 4 * gx + kx] } }
    out.print("token of patch (5, 2), feature 3:", fixed(tokens[0, gy * 7 + gx, d], 6), " convolution:", fixed(convolution, 6))
}

/*:
 ## 3. The CLS token and the position embedding

 The transformer's input is `[CLS; patch tokens] + pos_embed`: `1 + N` tokens of width `D`. Both
 `cls_token` `(1, 1, D)` and `pos_embed` $(1, 1 + N_0, D)$ are learned, initialised from a truncated
 normal with std 0.02, like every linear weight in DINO. The patch projection itself is the one
 exception: DINO's `_init_weights` resets only linear and LayerNorm layers, so the convolution keeps
 PyTorch's default, weight and bias uniform in $\pm 1/\sqrt{C\cdot p\cdot p}$.

 @snippet(token-embedding-forward)
 */
func theCLSTokenAndThePositionEmbedding(_ out: Notebook) {
    var rng = SeededGenerator(seed: 2)
    let embedding = TokenEmbedding(imageSize: 28, patchSize: 4, channels: 1, dimension: 8, using: &rng)
    out.print("cls_token", embedding.classToken.shape, " pos_embed", embedding.positionEmbedding.shape)
    let tokens = embedding.forward(Tensor(shape: [1, 1, 28, 28], scalars: sampleImage())).output
    out.print("28×28 image →", tokens.shape, "tokens: the CLS token, then 49 patches")
}

/*:
 ## 4. Resampling the position embedding for a local crop

 `pos_embed` was learned for a 7×7 grid, `N = 49` patches; a 12×12 local crop has a 3×3 grid, `n = 3`
 patches a side. DINO resamples the 7×7 grid of embeddings bicubically (`N` is the patch count there too,
 so the grid's side is `√N`):

 ```python
 N = self.pos_embed.shape[1] - 1  # 49 patches
 nn.functional.interpolate(patch_pos_embed, scale_factor=(w0 / math.sqrt(N), h0 / math.sqrt(N)), mode="bicubic")  # w0 = 3 + 0.1
 ```

 Because it passes a **scale factor** `s = (n + 0.1)/√N` rather than a size, PyTorch maps output index
 `d` to the source coordinate `(d + 0.5)/s − 0.5`. A resize *to size 3* would use `(d + 0.5)·√N/n − 0.5`
 instead, and give different embeddings (up to 0.49 apart for 7 → 3). Each output is a weighted sum of
 four neighbours with the cubic-convolution kernel (`A = −0.75`), indices clamped at the border. The
 weights along one axis form a `(3, 7)` matrix:

 @snippet(bicubic-weights)

 Resampling is linear in the embedding, so the 2-D resampling is one matrix (the Kronecker product of
 the two axes' matrices) and its backward pass is that matrix transposed.

 @snippet(position-embedding)
 */
func resamplingThePositionEmbedding(_ out: Notebook) {
    let weights = BicubicInterpolation.weights(from: 7, to: 3)
    out.print("one-axis weights, 7 → 3 (rows sum to 1):")
    for row in weights { out.print("  " + row.map { fixed(Float($0), 3) }.map { $0.count < 6 ? " " + $0 : $0 }.joined(separator: " ")) }
    let scaleRule = (0..<3).map { (Float($0) + 0.5) / (3.1 / 7) - 0.5 }
    let sizeRule = (0..<3).map { (Float($0) + 0.5) * 7 / 3 - 0.5 }
    out.print("source coordinates, scale-factor rule:", fixed(scaleRule, 3))
    out.print("source coordinates, size rule:        ", fixed(sizeRule, 3))
    var rng = SeededGenerator(seed: 3)
    let embedding = TokenEmbedding(imageSize: 28, patchSize: 4, channels: 1, dimension: 8, using: &rng)
    let local = embedding.forward(Tensor(zeros: [1, 1, 12, 12])).output
    out.print("12×12 crop →", local.shape, "tokens: the CLS token, then 3×3 patches")
}

/*:
 ## 5. Backward, and its check

 Backward runs the steps in reverse. The tokens' gradient splits into the CLS row and the patch rows;
 `cls_token` and `pos_embed` are shared by every image of the batch, so their gradients **sum over the
 batch**; resampled position entries send theirs back through the transposed matrix; the patch rows go
 back through the linear map, and `unpatchify` returns each patch's gradient to its pixels.

 @snippet(token-embedding-backward)
 */
func backwardAndItsCheck(_ out: Notebook) {
    var rng = SeededGenerator(seed: 4)
    var embedding = TokenEmbedding(imageSize: 8, patchSize: 2, channels: 1, dimension: 4, using: &rng)
    embedding.positionEmbedding = .normal(embedding.positionEmbedding.shape, using: &rng)
    let images = Tensor.normal([2, 1, 6, 6], using: &rng)  // a 3×3 grid: the resampled path
    let projection = Tensor.uniform([2, 10, 4], in: -1..<1, using: &rng)
    func loss(_ table: Tensor) -> Double {
        var changed = embedding
        changed.positionEmbedding = table
        let tokens = changed.forward(images).output
        return zip(tokens.scalars, projection.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    let analytic = embedding.backward(projection, saved: embedding.forward(images).saved).parameters.positionEmbedding
    var worst: Float = 0
    for i in 0..<analytic.count {
        var plus = embedding.positionEmbedding, minus = plus
        plus.scalars[i] += 1e-2
        minus.scalars[i] -= 1e-2
        let numeric = Float((loss(plus) - loss(minus)) / 2e-2)
        worst = max(worst, abs(numeric - analytic.scalars[i]) / max(abs(numeric), 1e-2))
    }
    out.print("∂L/∂pos_embed through the 4×4 → 3×3 resampling: \(analytic.count) entries checked,",
              "largest relative difference below 1e-2:", worst < 1e-2)
}

/*:
 ## Summary

 - A ViT reads an image as `1 + N` tokens: the CLS token, then one token per `p×p` patch.
 - The patch embedding is a strided convolution, computed as `patchify` and one matrix product with the
   `[D, C, p, p]` weight used as a `(D, C·p·p)` matrix.
 - The position embedding is learned for the training grid and resampled for other grids exactly as
   DINO does: bicubic, scale factor `(n + 0.1)/√N`, `A = −0.75`, border clamping, no antialiasing.
 - Shared parameters (`cls_token`, `pos_embed`) sum their gradient over the batch; resampling sends it
   back through the transposed matrix.

 ## Exercises

 1. **Patchify.** Write `exercisePatchify(_:patchSize:)` in `Exercises/Stubs/Exercise01/Patchify.swift`, in the
    order that makes the convolution weight usable as a matrix. Check it with
    `DINO_EXERCISES=stubs swift test --filter Exercise01`.
 2. **Back to pixels.** Write `exerciseUnpatchify(_:channels:height:width:patchSize:)` in
    `Exercises/Stubs/Exercise01/Unpatchify.swift`, the inverse of patchify: the patch embedding's backward
    pass uses it to send gradients to the image. The test uses a grid that is wider than it is tall.

 After trying them: [the solutions discussed](exercise-solutions.md#chapter-01), with the wrong answers
 their tests catch.
 */
/// The chapter's steps in reading order (a function: a global in `main.swift` reads 0 under tests).
func chapter() -> Chapter {
    Chapter(number: 1, title: "Patch embedding", steps: [
        Step("An image cut into patches", anImageCutIntoPatches),
        Step("Patchify, then one matrix product", patchifyThenOneMatrixProduct),
        Step("The CLS token and the position embedding", theCLSTokenAndThePositionEmbedding),
        Step("Resampling the position embedding for a local crop", resamplingThePositionEmbedding),
        Step("Backward, and its check", backwardAndItsCheck),
    ])
}

chapter().main()
