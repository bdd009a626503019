/*:
 # 08 · Schedules and the optimiser

 DINO's recipe moves almost every hyper-parameter during training. This chapter builds the schedules
 and the optimiser step exactly as the reference code does:

 | What | Schedule | Steps per |
 |---|---|---|
 | learning rate | `0.0005 · batch/256`, linear warm-up over 10 epochs, cosine to 1e-6 | iteration |
 | weight decay | cosine 0.04 → 0.4, only on weights (not biases, not 1-D parameters) | iteration |
 | teacher momentum $\lambda$ | cosine 0.996 → 1 | iteration |
 | teacher temperature $\tau_t$ | linear warm-up, then constant (chapter 06) | **epoch** |

 and the optimiser step: per-parameter gradient clipping at 3.0, the head's last layer frozen during
 the first epoch, then AdamW with two parameter groups.
 */
// weave: time 40 min (20 reading and running, 20 for the exercises)
import DINO
import Figures
import Notebook

/*:
 ## 1. The cosine schedule with warm-up

 One function makes three of the four schedules. It returns a value per **iteration**: a linear warm-up
 (both ends included, as numpy's `linspace`), then half a cosine from `base` to `final`.

 @snippet(cosine)

 The learning rate of the benchmark configuration B1 (batch 64, 10 epochs of 120 iterations, 1 warm-up
 epoch):
 */
func theCosineSchedule(_ out: Notebook) {
    let base = scaledLearningRate(base: 0.0005, totalBatchSize: 64)
    out.print("lr = 0.0005 · 64/256 =", base)
    let learningRate = cosineSchedule(base: base, final: 1e-6, epochs: 10, iterationsPerEpoch: 120, warmupEpochs: 1)
    let peak = learningRate.indices.max { learningRate[$0] < learningRate[$1] } ?? 0
    out.print("iterations:", learningRate.count, " peak at iteration", peak, " first", fixed(Float(learningRate[0]), 6),
              " peak", fixed(Float(learningRate[peak]), 6), " last", fixed(Float(learningRate[learningRate.count - 1]), 6))
    out.figure("08-learning-rate.svg", caption: "the learning rate of B1: one epoch of linear warm-up, then half a cosine", svg: Chart(
        title: "Learning rate (B1)", xLabel: "iteration", yLabel: "learning rate",
        series: [.init("lr", learningRate.enumerated().map { (Double($0.offset), $0.element) })]).svg())
}

/*:
 ## 2. Weight decay and the teacher momentum

 The weight decay rises (regularisation grows as the learning rate falls); the teacher momentum rises to
 1, so the teacher freezes at the end. Both move per iteration, without warm-up.
 */
func weightDecayAndTeacherMomentum(_ out: Notebook) {
    let weightDecay = cosineSchedule(base: 0.04, final: 0.4, epochs: 10, iterationsPerEpoch: 120)
    let momentum = cosineSchedule(base: 0.996, final: 1, epochs: 10, iterationsPerEpoch: 120)
    for (name, values, decimals) in [("weight decay", weightDecay, 3), ("teacher momentum λ", momentum, 4)] {
        out.print("\(name): iteration 0", fixed(Float(values[0]), decimals), " iteration 600", fixed(Float(values[600]), decimals),
                  " last", fixed(Float(values[values.count - 1]), decimals))
    }
    func points(_ values: [Double]) -> [(x: Double, y: Double)] { values.enumerated().map { (Double($0.offset), $0.element) } }
    out.figure("08-weight-decay.svg", caption: "the weight decay rises from 0.04 to 0.4 along half a cosine", svg: Chart(
        title: "Weight decay", xLabel: "iteration", yLabel: "weight decay", series: [.init("weight decay", points(weightDecay))]).svg())
    out.figure("08-teacher-momentum.svg", caption: "the teacher momentum λ rises from 0.996 to 1: the teacher freezes at the end", svg: Chart(
        title: "Teacher momentum λ", xLabel: "iteration", yLabel: "λ", series: [.init("λ", points(momentum))]).svg())
}

/*:
 ## 3. Clipping each parameter, freezing the last layer

 DINO clips each parameter's gradient to norm 3.0 on its own, not the global norm of all gradients:

 @snippet(clipping)

 During the first epoch the head's last layer gets no update at all: the reference sets its gradients
 to `None` after clipping, so AdamW skips it (no step, no moment update, no weight decay). Prototypes
 that move while the rest of the network is random make training unstable.
 */
func clippingAndFreezing(_ out: Notebook) {
    var gradients = Linear(weight: Tensor(shape: [2, 2], scalars: [3, 4, 0, 0]), bias: Tensor([0.3, 0.4]))
    let norms = clipGradientsPerParameter(&gradients, maximum: 3)
    out.print("norms before:", norms.sorted { $0.key < $1.key }.map { "\($0.key) \(fixed($0.value, 2))" }.joined(separator: ", "))
    out.print("weight after: ", fixed(gradients.weight.scalars, 3), " bias after:", fixed(gradients.bias!.scalars, 3))
}

/*:
 ## 4. AdamW with two parameter groups

 AdamW as `torch.optim.AdamW`: decoupled weight decay $\theta \leftarrow \theta (1 - \mathrm{lr}\cdot\mathrm{wd})$, then Adam's step with bias
 correction. Weight decay applies only to the *regularised* group: every parameter that is neither a
 bias nor one-dimensional. LayerNorm weights are exempt; `cls_token` and `pos_embed` are not. Each
 parameter keeps its own step count, so the last layer, skipped in the first epoch, starts its bias
 correction later.

 @snippet(adamw)
 */
func adamWWithTwoGroups(_ out: Notebook) {
    var rng = SeededGenerator(seed: 4)
    let model = VisionTransformer(ViTConfiguration(imageSize: 28, patchSize: 4, channels: 1, dimension: 12, depth: 6, heads: 3), using: &rng)
    let regularized = model.namedParameters.filter { isRegularized(name: $0.name, shape: $0.tensor.shape) }
    out.print("B1-shaped backbone: \(regularized.count) of \(model.namedParameters.count) tensors are decayed:",
              regularized.prefix(4).map(\.name).joined(separator: ", "), "…")
    out.print("not decayed, for example:", model.namedParameters.filter { !isRegularized(name: $0.name, shape: $0.tensor.shape) }.prefix(3).map(\.name).joined(separator: ", "))
}

/*:
 ## Summary

 - lr, weight decay and $\lambda$ are cosine schedules per iteration; $\tau_t$ is per epoch.
 - Clipping is per parameter; the last layer skips the whole first epoch.
 - AdamW decays only weights of rank ≥ 2, and keeps a step count per parameter.
 - `DINOParityTests` checks two optimiser steps (groups, clipping, the frozen last layer) against
   `torch.optim.AdamW`.

 ## Exercises

 1. **The cosine schedule.** Write `exerciseCosineSchedule(base:final:epochs:iterationsPerEpoch:warmupEpochs:)`
    in `Exercises/Stubs/Exercise08/CosineSchedule.swift`. Check it with
    `DINO_EXERCISES=stubs swift test --filter Exercise08`.
 2. **Clipping each parameter.** Write `exerciseClipEachParameter(_:maximum:)` in
    `Exercises/Stubs/Exercise08/ClipEachParameter.swift`: step 3's clipping, one norm per parameter.

 After trying them: [the solutions discussed](exercise-solutions.md#chapter-08), with the wrong answers
 their tests catch.
 */
/// The chapter's steps in reading order (a function: a global in `main.swift` reads 0 under tests).
func chapter() -> Chapter {
    Chapter(number: 8, title: "Schedules and the optimiser", steps: [
        Step("The cosine schedule with warm-up", theCosineSchedule),
        Step("Weight decay and the teacher momentum", weightDecayAndTeacherMomentum),
        Step("Clipping each parameter, freezing the last layer", clippingAndFreezing),
        Step("AdamW with two parameter groups", adamWWithTwoGroups),
    ])
}

chapter().main()
