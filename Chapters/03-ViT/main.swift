/*:
 # 03 · The Vision Transformer

 Chapters 01 and 02 made the ViT's input and its central operation. This chapter assembles the
 backbone DINO trains: **pre-norm blocks** of attention and an MLP, each wrapped in a residual
 connection, a final **LayerNorm**, and the **CLS token** read out as the image's feature. It adds the
 two pieces that are specific to how DINO trains it: **DropPath** (stochastic depth, student only) and
 the **multi-crop** pass (one backbone pass per crop resolution). It ends by saving the backbone in
 PyTorch's format and loading it back.
 */
// weave: time 60 min (35 reading and running, 25 for the exercises)
import DINO
import Foundation
import Notebook

/*:
 ## 1. LayerNorm

 Each token is normalised to mean 0 and variance 1 over its `D` features, then scaled and shifted by
 learned $\gamma$, $\beta$: $y = (x - \mu)/\sqrt{\sigma^{2} + \epsilon}\cdot \gamma + \beta$, with DINO's $\epsilon = 10^{-6}$. Its backward pass has to
 account for $\mu$ and $\sigma$ depending on every input of the row; with $\hat{x}$ the normalised row and
 $g = \partial L/\partial y\cdot \gamma$, it comes out as $\partial L/\partial x = (g - \operatorname{mean}(g) - \hat{x}\cdot \operatorname{mean}(g\cdot \hat{x}))/\sigma$. Training keeps $\hat{x}$ and $1/\sigma$
 for that; inference (the teacher, feature extraction) calls the layer as a function, `norm(x)`, and
 keeps nothing.

 @snippet(layernorm-forward)

 @snippet(layernorm-backward)
 */
func layerNorm(_ out: Notebook) {
    let norm = LayerNorm(dimension: 4)
    let x = Tensor(shape: [2, 4], scalars: [1, 2, 3, 4, 10, 10, 10, 14])
    out.print("x:", x)
    out.print("LayerNorm(x), γ = 1, β = 0:", norm.forward(x).output)
}

/*:
 ## 2. GELU, exactly

 The MLP's activation is the exact GELU, $x\cdot \Phi (x)$ with $\Phi$ the normal CDF, computed with `erf`, as
 `nn.GELU()` does by default. The popular tanh approximation differs from it by about 10⁻⁴ (the run
 shows the largest gap on a few points): small, but enough to break the parity with PyTorch that the
 tests check. Its derivative, $\Phi (x) + x\cdot \phi (x)$, is what the backward pass multiplies by: the MLP keeps
 it from the forward pass.

 @snippet(gelu)

 The MLP puts GELU between two linear layers, widening `D` to `4D` and back:

 @snippet(mlp)
 */
func geluExactly(_ out: Notebook) {
    let x: [Float] = [-2, -1, -0.5, 0, 0.5, 1, 2]
    let exact = gelu(Tensor(x)).scalars
    let tanhApproximation = x.map { 0.5 * $0 * (1 + tanh(0.797_884_6 * ($0 + 0.044_715 * $0 * $0 * $0))) }
    out.print("x:        ", fixed(x, 4))
    out.print("GELU(x):  ", fixed(exact, 4))
    out.print("exact − tanh form, largest:", fixed(zip(exact, tanhApproximation).map { abs($0 - $1) }.max()!, 5))
}

/*:
 ## 3. The block, with DropPath

 A block is pre-norm: `x + DropPath(Attn(LN(x)))`, then `x + DropPath(MLP(LN(x)))`. The residual
 connections pass the gradient straight through, which is what lets deep transformers train.
 **DropPath** drops a sample's whole residual branch with probability `r` (and scales the kept ones by
 `1/(1 − r)`). The rate rises linearly over the blocks from 0 to `drop_path_rate` = 0.1. Only the
 student uses it: the teacher must give a stable target.

 @snippet(droppath)

 @snippet(block-forward)

 For inference, `block(x)` does the same without DropPath and keeps nothing for a backward pass.
 Backward adds what comes back through each branch to what passes along the residual path:

 @snippet(block-backward)
 */
func theBlockWithDropPath(_ out: Notebook) {
    var rng = SeededGenerator(seed: 3)
    out.print("DropPath factors for 8 samples at rate 0.5:", fixed(dropPathFactors(batch: 8, rate: 0.5, using: &rng), 1))
    let model = VisionTransformer(
        ViTConfiguration(imageSize: 28, patchSize: 4, channels: 1, dimension: 12, depth: 5, heads: 3, dropPathRate: 0.1), using: &rng)
    out.print("rates over 5 blocks (student):", fixed(model.blocks.map(\.dropPathRate), 3))
    out.print("rates in the teacher:         ", fixed(model.withoutDropPath().blocks.map(\.dropPathRate), 3))
}

/*:
 ## 4. The whole backbone

 Tokens → `depth` blocks → final LayerNorm; the CLS token's final state is the feature that DINO's head
 and the k-NN evaluation use. The reference's sizes are `vit_tiny` (D = 192, 3 heads), `vit_small`
 (384, 6) and `vit_base` (768, 12), all of depth 12 and MLP ratio 4. The last row below is the backbone
 of **B1**, the benchmark configuration this book measures against PyTorch (chapter 08 gives its whole
 recipe): `vit_tiny`'s width on 28×28 Fashion-MNIST images, depth 6, 4-pixel patches, one channel.

 @snippet(vit-forward)
 */
func theWholeBackbone(_ out: Notebook) throws {
    out.print("architecture        input        parameters")
    for (name, imageSize, patchSize, channels, depth) in [
        ("vit_tiny", 224, 16, 3, 12), ("vit_small", 224, 16, 3, 12), ("vit_small", 224, 8, 3, 12), ("vit_base", 224, 16, 3, 12),
        ("vit_tiny", 28, 4, 1, 6),
    ] {
        let configuration = try ViTConfiguration.named(name, imageSize: imageSize, patchSize: patchSize, channels: channels, depth: depth)
        let input = "\(imageSize)²/\(patchSize), \(channels)ch"
        out.print("\(name) depth \(depth)".padding(toLength: 20, withPad: " ", startingAt: 0),
                  input.padding(toLength: 13, withPad: " ", startingAt: 0),
                  String(format: "%6.2f M", Double(configuration.parameterCount) / 1e6))
    }
    out.print("(the last row is the benchmark configuration B1's backbone)")
    var rng = SeededGenerator(seed: 4)
    let model = VisionTransformer(ViTConfiguration(imageSize: 28, patchSize: 4, channels: 1, dimension: 12, depth: 2, heads: 3), using: &rng)
    let image = Tensor(shape: [1, 1, 28, 28], scalars: sampleImage())
    var draw = SeededGenerator(seed: 0)
    let tokens = model.forward(image, training: false, using: &draw).output
    out.print("ankle boot →", tokens.shape, "tokens → CLS feature", model.features(image).shape)
}

/*:
 ## 5. Multi-crop: one pass per resolution

 DINO's student sees 2 global crops and several small local crops of every image. Crops of the same
 resolution go through the backbone together: one pass for the globals, one for the locals, and the CLS
 features are concatenated in crop order. Backward runs each pass's backward and sums the parameter
 gradients.

 @snippet(multicrop)
 */
func multiCropOnePassPerResolution(_ out: Notebook) {
    var rng = SeededGenerator(seed: 5)
    let model = VisionTransformer(ViTConfiguration(imageSize: 28, patchSize: 4, channels: 1, dimension: 12, depth: 1, heads: 3), using: &rng)
    let crops = (0..<2).map { _ in Tensor.normal([4, 1, 28, 28], using: &rng) } + (0..<6).map { _ in Tensor.normal([4, 1, 12, 12], using: &rng) }
    var draw = SeededGenerator(seed: 0)
    let (features, pass) = MultiCropPass.forward(model, crops: crops, training: true, using: &draw)
    out.print("crops:", crops.map { "\($0.shape[2])²" }.joined(separator: " "), "(batch 4 each)")
    out.print("passes:", pass.groups.map { "crops \($0.lowerBound)…\($0.upperBound - 1)" }.joined(separator: ", "))
    out.print("features", features.shape, "= (8 crops · 4 images, D)")
}

/*:
 ## 6. Weights by name, in PyTorch's format

 Every parameter is reachable under the reference's dotted name, through one walk that EMA, AdamW,
 clipping and checkpoints all share:

 @snippet(parameterized)

 The names and layouts are timm's and DINO's, so a backbone saved in **safetensors** here loads in timm
 with `load_state_dict(strict=True)`, and one saved by PyTorch loads here (F32, F16 or BF16; a
 `module.backbone.` or `backbone.` prefix is understood). The tests check both directions against timm.
 */
func weightsByNameInPyTorchsFormat(_ out: Notebook) throws {
    var rng = SeededGenerator(seed: 6)
    let model = VisionTransformer(ViTConfiguration(imageSize: 28, patchSize: 4, channels: 1, dimension: 12, depth: 2, heads: 3), using: &rng)
    for (name, tensor) in model.namedParameters.prefix(8) { out.print("  \(name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(tensor.shape)") }
    out.print("  … \(model.namedParameters.count) tensors, \(model.parameterCount) parameters")
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ch03-backbone-\(getpid()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try SafeTensors.write(model.namedParameters, to: url)
    var reloaded = VisionTransformer(model.configuration, using: &rng)  // different random weights
    try reloaded.load(safetensors: url)
    let image = Tensor(shape: [1, 1, 28, 28], scalars: sampleImage())
    out.print("saved, reloaded into a fresh model: same features:", reloaded.features(image) == model.features(image))
}

/*:
 ## Summary

 - The backbone is patch embedding → pre-norm blocks → final LayerNorm → CLS feature.
 - LayerNorm's backward accounts for the row statistics; GELU is the exact `erf` form.
 - DropPath rises linearly over depth in the student; the teacher has none.
 - Crops of one resolution share a pass; the gradients of the passes add.
 - Parameters carry the reference's names, so safetensors weights move to and from PyTorch.

 ## Exercises

 1. **The LayerNorm backward.** Write `exerciseLayerNormBackward(outputGradient:normalized:inverseDeviation:weight:)`
    in `Exercises/Stubs/Exercise03/LayerNormBackward.swift`. Check it with
    `DINO_EXERCISES=stubs swift test --filter Exercise03`.
 2. **GELU, exactly.** Write `exerciseGELU(_:)` in `Exercises/Stubs/Exercise03/GELU.swift`: the value
    $x\,\Phi(x)$ and the slope $\Phi(x) + x\,\phi(x)$ of step 2, with `erf`, not the tanh approximation.

 After trying them: [the solutions discussed](exercise-solutions.md#chapter-03), with the wrong answers
 their tests catch.
 */
/// The chapter's steps in reading order (a function: a global in `main.swift` reads 0 under tests).
func chapter() -> Chapter {
    Chapter(number: 3, title: "The Vision Transformer", steps: [
        Step("LayerNorm", layerNorm),
        Step("GELU, exactly", geluExactly),
        Step("The block, with DropPath", theBlockWithDropPath),
        Step("The whole backbone", theWholeBackbone),
        Step("Multi-crop: one pass per resolution", multiCropOnePassPerResolution),
        Step("Weights by name, in PyTorch's format", weightsByNameInPyTorchsFormat),
    ])
}

chapter().main()
