/*:
 # 06 · The loss: Eq. 1–3, exactly

 DINO trains the student to predict the teacher's distribution for a *different view* of the same
 image. With temperatures (Eq. 1)

 ```math
 P_s(x)_i = \frac{\exp(g_s(x)_i/\tau_s)}{\sum_k \exp(g_s(x)_k/\tau_s)}, \qquad
 H(a, b) = -\sum_i a_i \log b_i \quad \text{(Eq. 2)}
 ```

 the multi-crop loss (Eq. 3) sums the cross-entropy over every teacher view (the 2 global crops) and
 every *other* student view (all `V` crops):

 ```math
 \sum_{x \in \{x_1^g, x_2^g\}} \;\sum_{x' \in V,\; x' \neq x} H\big(P_t(x), P_s(x')\big)
 ```

 Small crops see a part of the image; the teacher sees it whole: the student must learn
 "local-to-global" correspondences. This chapter implements the loss exactly as the reference code
 computes it, with its gradient.
 */
// weave: time 50 min (25 reading and running, 25 for the exercises)
import DINO
import Figures
import Foundation
import Notebook

/*:
 ## 1. The pairs

 The teacher's view `i` ∈ {0, 1} is paired with every student view `v ≠ i`: `2V − 2` pairs, 18 with 8
 local crops and 14 with 6. A pair of a global crop with itself is skipped (it would teach nothing), and
 the loss is the **mean** over the pairs of each pair's batch mean. Keeping the same-view pairs, or
 dividing by another count, are two of the known traps.
 */
func thePairs(_ out: Notebook) {
    for crops in [4, 8, 10] {
        let pairs = (0..<2).flatMap { i in (0..<crops).filter { $0 != i }.map { "(\(i),\($0))" } }
        out.print("V = \(crops): \(pairs.count) pairs:", pairs.prefix(9).joined(separator: " ") + (pairs.count > 9 ? " …" : ""))
    }
}

/*:
 ## 2. The loss and its gradient

 For one pair, the gradient of $H(P_t, P_s)$ with respect to the student's logits is
 $(P_s - P_t)/\tau_s$ per row; the teacher gets none. A student view that pairs with `n` teacher views
 (one for a global crop, two for a local one) therefore receives $(n\cdot P_s - \sum_i P_t(i)) / \tau_s$, divided
 by the mean's count, `(2V − 2)·B` terms (the pairs times the images of the batch):

 @snippet(loss)
 */
func theLossAndItsGradient(_ out: Notebook) throws {
    var rng = SeededGenerator(seed: 1)
    let (crops, batch, prototypes) = (4, 3, 16)
    let loss = try DINOLoss(LossConfiguration(outputDimension: prototypes, cropCount: crops), epochs: 1)
    // Logits of the size a freshly initialised head gives (cosines, small spread).
    let student = Tensor.normal([crops * batch, prototypes], std: 0.1, using: &rng)
    let teacher = Tensor.normal([2 * batch, prototypes], std: 0.1, using: &rng)
    let result = loss(studentOutput: student, teacherOutput: teacher, epoch: 0)
    out.print("loss =", fixed(result.loss, 4), " h(P_t) =", fixed(result.statistics.teacherEntropy, 4), " KL =", fixed(result.statistics.klDivergence, 4))
    var worst: Float = 0
    for i in stride(from: 0, to: student.count, by: 7) {
        var plus = student, minus = student
        plus.scalars[i] += 1e-3
        minus.scalars[i] -= 1e-3
        let numeric = (loss(studentOutput: plus, teacherOutput: teacher, epoch: 0).loss - loss(studentOutput: minus, teacherOutput: teacher, epoch: 0).loss) / 2e-3
        worst = max(worst, abs(numeric - result.studentGradient.scalars[i]))
    }
    out.print("gradient against central differences (every 7th logit): largest difference below 1e-3:", worst < 1e-3)
    out.print("each student row's gradient sums to 0 (P_s and P_t both sum to 1):",
              (0..<crops * batch).allSatisfy { row in abs(result.studentGradient.scalars[row * prototypes..<(row + 1) * prototypes].reduce(0, +)) < 1e-5 })
}

/*:
 ## 3. The teacher temperature, per epoch

 $\tau_t$ is the one schedule that moves per **epoch**, not per iteration: linear from
 `warmup_teacher_temp` to `teacher_temp` over `warmup_teacher_temp_epochs`, then constant. The paper's
 best ViT-S runs warm up from 0.04 to 0.07 over 30 epochs; starting at 0.08 without warm-up collapses.
 */
func theTeacherTemperaturePerEpoch(_ out: Notebook) {
    let schedule = teacherTemperatureSchedule(warmupTemperature: 0.04, temperature: 0.07, warmupEpochs: 30, epochs: 100)
    out.print("epochs 0, 1, 15, 29, 30, 99:", fixed([0, 1, 15, 29, 30, 99].map { schedule[$0] }, 4))
    let chart = Chart(title: "Teacher temperature τ_t", xLabel: "epoch", yLabel: "τ_t", series: [
        .init("warm-up 0.04 → 0.07 over 30 epochs", schedule.enumerated().map { (Double($0.offset), Double($0.element)) }),
        .init("student τ_s = 0.1", [(0, 0.1), (Double(schedule.count - 1), 0.1)], dashed: true),
    ], yRange: 0...0.12)
    out.figure("06-teacher-temperature.svg", caption: "τ_t rises linearly for 30 epochs, then stays; the student's τ_s stays above it", svg: chart.svg())
}

/*:
 ## 4. The centre moves after the loss

 The reference updates the centre inside the loss's `forward`, but only after the loss has been
 computed with the previous centre. Here the two are separate calls, in that order, so the order is
 visible in the training loop.
 */
func theCentreMovesAfterTheLoss(_ out: Notebook) throws {
    var rng = SeededGenerator(seed: 2)
    var loss = try DINOLoss(LossConfiguration(outputDimension: 4, cropCount: 4), epochs: 1)
    let student = Tensor.normal([8, 4], std: 0.1, using: &rng), teacher = Tensor.normal([4, 4], std: 0.1, using: &rng)
    let first = loss(studentOutput: student, teacherOutput: teacher, epoch: 0).loss
    loss.updateCenter(teacherOutput: teacher)
    let again = loss(studentOutput: student, teacherOutput: teacher, epoch: 0).loss
    out.print("loss with the centre before the update:", fixed(first, 4), " after:", fixed(again, 4))
    out.print("centre now:", fixed(loss.center.value.scalars, 4))
}

/*:
 ## Summary

 - The loss is the mean over the `2V − 2` cross-view pairs of the batch-mean cross-entropy
   $H(P_t(i), P_s(v))$, same-view pairs skipped.
 - Its gradient for a student row is $(n\cdot P_s - \sum P_t)/\tau_s$, scaled by `1/((2V − 2)·B)`.
 - $\tau_t$ warms up per epoch; the centre moves after the loss.
 - `DINOParityTests` checks the loss, its gradient and the centre over several steps against a
   PyTorch implementation of the reference formulas, for 4 and 10 crops.

 ## Exercises

 1. **The loss.** Write `exerciseDINOLoss(studentOutput:teacherProbabilities:cropCount:studentTemperature:)`
    in `Exercises/Stubs/Exercise06/DINOLoss.swift`. Check it with
    `DINO_EXERCISES=stubs swift test --filter Exercise06`.
 2. **The teacher temperature.** Write `exerciseTeacherTemperatureSchedule(warmupTemperature:temperature:warmupEpochs:epochs:)`
    in `Exercises/Stubs/Exercise06/TeacherTemperatureSchedule.swift`: one $\tau_t$ per epoch, as in step 3.

 After trying them: [the solutions discussed](exercise-solutions.md#chapter-06), with the wrong answers
 their tests catch.
 */
/// The chapter's steps in reading order (a function: a global in `main.swift` reads 0 under tests).
func chapter() -> Chapter {
    Chapter(number: 6, title: "The loss", steps: [
        Step("The pairs", thePairs),
        Step("The loss and its gradient", theLossAndItsGradient),
        Step("The teacher temperature, per epoch", theTeacherTemperaturePerEpoch),
        Step("The centre moves after the loss", theCentreMovesAfterTheLoss),
    ])
}

chapter().main()
