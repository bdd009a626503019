/*:
 # 04 · The DINO head: from a feature to K prototypes

 DINO does not compare the backbone's features directly. A **projection head** maps each CLS feature to
 `K` scores, one per learned **prototype**, and the loss compares the student's and the teacher's
 distributions over those prototypes. The head is where the paper's architectural details live:

 ```text
 Linear(D, 2048) → GELU → Linear(2048, 2048) → GELU → Linear(2048, 256)   the MLP, to a bottleneck
 → L2 normalisation                                                     unit vectors
 → weight-normalised Linear(256, K), no bias, ‖row‖ fixed to 1            cosine with each prototype
 ```

 After training, the head is thrown away: the backbone's features are what DINO is for.
 */
// weave: time 35 min (20 reading and running, 15 for the exercises)
import DINO
import Notebook

/*:
 ## 1. The MLP to the bottleneck

 Three linear layers with GELU between them, initialised with the truncated normal (std 0.02) and zero
 biases, narrow the feature to a 256-wide bottleneck. The run below builds the head of B1 (the benchmark
 configuration of chapter 03's last row), whose `K` is 4 096. In the reference the layers sit in an
 `nn.Sequential`, so their names are `mlp.0`, `mlp.2` and `mlp.4` (the GELUs are entries 1 and 3).

 @snippet(head-forward)
 */
func theMLPToTheBottleneck(_ out: Notebook) {
    var rng = SeededGenerator(seed: 1)
    let head = DINOHead(HeadConfiguration(inputDimension: 12, outputDimension: 64, hiddenDimension: 32, bottleneckDimension: 8), using: &rng)
    for (name, tensor) in head.namedParameters { out.print("  \(name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(tensor.shape)") }
    let features = Tensor.normal([5, 12], using: &rng)
    out.print("features", features.shape, "→ head output", head.forward(features).output.shape)
    let b1 = [192 * 2048 + 2048, 2048 * 2048 + 2048, 2048 * 256 + 256, 4096 + 256 * 4096].reduce(0, +)
    out.print("the B1 head (192 → 2048 → 2048 → 256 → 4096) has \(b1) parameters")
}

/*:
 ## 2. L2 normalisation and the weight-normalised last layer

 The bottleneck output is scaled to unit length. The last layer is `nn.utils.weight_norm` of a linear
 layer without bias: each row of its weight is $W_k = g_k \cdot v_k / \lVert v_k\rVert$. DINO fills `g` with 1 and, with
 `norm_last_layer` (the default), never trains it, so every row is a unit vector and the head's output
 `k` is the **cosine** between the normalised bottleneck and prototype `v_k`: always in `[−1, 1]`. The
 authors report that this makes training stable. Their `DINOHead` has no bias in the last layer, and a
 trainable `g` only when asked: with `norm_last_layer=False` its `weight_g` trains like any weight, which
 the authors' code recommends for ViT-S as "less stable, but better performance" (`--norm_last_layer`,
 `ch09-trainer --norm-last-layer false` here; chapter 09's recipe study measures it). A bias, or a `g`
 that trains when `norm_last_layer` is on, are classic mistakes of reimplementations.

 @snippet(l2-normalize)

 @snippet(weight-norm)
 */
func l2NormalisationAndTheLastLayer(_ out: Notebook) {
    var rng = SeededGenerator(seed: 2)
    var head = DINOHead(HeadConfiguration(inputDimension: 12, outputDimension: 64, hiddenDimension: 32, bottleneckDimension: 8), using: &rng)
    head.mlp[0].weight = .normal(head.mlp[0].weight.shape, std: 1, using: &rng)
    let output = head.forward(.normal([100, 12], std: 10, using: &rng)).output
    out.print("outputs for 100 large random features lie in [\(fixed(output.scalars.min()!, 3)), \(fixed(output.scalars.max()!, 3))]: cosines")
    out.print("weight_g:", head.lastLayer.magnitude.shape, "all ones:", head.lastLayer.magnitude.scalars.allSatisfy { $0 == 1 },
              " frozen:", head.frozenParameterNames.sorted())
}

/*:
 ## 3. Backward through both

 L2 normalisation removes the gradient's component along the output (moving along `y` does not change
 $y/\lVert y\rVert$) and divides by the norm. Weight normalisation does the same for each row of `v`, and gives
 `g` the component along the row, which is discarded while `g` is frozen:

 @snippet(weight-norm-backward)

 The backward passes are checked against central differences in `Tests/DINOTests/HeadTests.swift`, and
 the whole head (forward and backward) against PyTorch's `weight_norm` in `DINOParityTests`.
 */
func backwardThroughBoth(_ out: Notebook) {
    var rng = SeededGenerator(seed: 3)
    let x = Tensor.normal([2, 3], using: &rng)
    let (y, norms) = l2Normalize(x)
    let radial = y  // a gradient pointing along the output …
    let gradient = l2NormalizeBackward(radial, output: y, norms: norms)
    out.print("a gradient along y itself comes back as", fixed(gradient.scalars.map(abs).max()!, 6), "(only the direction matters)")
}

/*:
 ## Summary

 - The head is an MLP to a 256-wide bottleneck, L2 normalisation, and a weight-normalised linear layer
   to `K` prototypes without bias.
 - With $g = 1$ frozen, every output is a cosine in `[−1, 1]`.
 - Parameter names follow the reference: `mlp.0/2/4.*`, `last_layer.weight_g`, `last_layer.weight_v`.

 ## Exercises

 1. **The L2 normalisation backward.** Write `exerciseL2NormalizeBackward(outputGradient:output:norms:)` in
    `Exercises/Stubs/Exercise04/L2NormalizeBackward.swift`. Check it with
    `DINO_EXERCISES=stubs swift test --filter Exercise04`.
 2. **The weight-normalised weight.** Write `exerciseWeightNormalizedWeight(direction:magnitude:)` in
    `Exercises/Stubs/Exercise04/WeightNormalizedWeight.swift`: $W_k = g_k\, v_k / \lVert v_k \rVert$ for every row.

 After trying them: [the solutions discussed](exercise-solutions.md#chapter-04), with the wrong answers
 their tests catch.
 */
/// The chapter's steps in reading order (a function: a global in `main.swift` reads 0 under tests).
func chapter() -> Chapter {
    Chapter(number: 4, title: "The DINO head", steps: [
        Step("The MLP to the bottleneck", theMLPToTheBottleneck),
        Step("L2 normalisation and the weight-normalised last layer", l2NormalisationAndTheLastLayer),
        Step("Backward through both", backwardThroughBoth),
    ])
}

chapter().main()
