/*:
 # 05 · Centring and sharpening: how DINO avoids collapse

 Self-distillation has a trivial solution: if student and teacher output the same thing for every
 image, the loss is as low as it can be and nothing has been learned. This is **collapse**, and it
 comes in two forms. Either one prototype dominates for every image (the teacher's distribution is
 one-hot, its entropy 0), or the distribution is uniform for every image (its entropy $\ln K$).

 DINO avoids both with two opposite forces on the teacher's output. **Centring** subtracts a running
 mean, which stops any one dimension from dominating but pushes towards uniform. **Sharpening** divides
 by a low temperature $\tau_t$, which pushes away from uniform but towards one dimension. Together they
 balance. This chapter builds both and then breaks each one on purpose.
 */
// weave: time 45 min (25 reading and running, 20 for the exercises)
import DINO
import Figures
import Foundation
import Notebook

/*:
 ## 1. The centre (Eq. 4)

 ```math
 c \leftarrow m\,c + (1 - m)\,\frac{1}{B}\sum_{i=1}^{B} g_t(x_i), \qquad m = 0.9
 ```

 The centre is a moving average of the teacher's **raw** outputs. It is updated **after** the loss (the
 current batch is centred with the previous centre), and with data-parallel workers the batch sums are
 added across workers first; the hook for that is `sumAcrossWorkers`.

 @snippet(center)
 */
func theCenter(_ out: Notebook) {
    var center = Center(dimension: 3)
    let batch = Tensor(shape: [2, 3], scalars: [4, 0, 2, 2, 0, 0])  // batch mean (3, 0, 1)
    for step in 1...3 {
        center.update(teacherOutput: batch)
        out.print("after batch \(step): c =", fixed(center.value.scalars, 3))
    }
    out.print("(each step moves 10% of the way to the batch mean (3, 0, 1))")
}

/*:
 ## 2. Centre, then sharpen

 The teacher's distribution is $P_t = \mathrm{softmax}((g_t - c)/\tau_t)$, with $\tau_t = 0.04$ (warming up to 0.07 in
 the paper's best runs), while the student uses $\tau_s = 0.1$. Order matters: the centre is subtracted
 from the logits, before the temperature.

 @snippet(sharpening)
 */
func centreThenSharpen(_ out: Notebook) {
    var center = Center(dimension: 4)
    center.value = Tensor(shape: [1, 4], scalars: [0.2, 0, 0, 0])
    let logits = Tensor(shape: [1, 4], scalars: [0.25, 0.1, 0.05, 0])
    out.print("teacher logits:                    ", fixed(logits.scalars, 3))
    out.print("softmax at τ = 0.1 (no centring):  ", fixed(softmax(logits, temperature: 0.1).scalars, 3))
    out.print("softmax at τ = 0.04 (no centring): ", fixed(softmax(logits, temperature: 0.04).scalars, 3))
    out.print("centred (c₀ = 0.2), then τ = 0.04: ", fixed(teacherProbabilities(logits, center: center, temperature: 0.04).scalars, 3))
}

/*:
 ## 3. Watching for collapse (Eq. 5)

 The cross-entropy the loss minimises splits into the teacher's entropy and a divergence:

 ```math
 H(P_t, P_s) = h(P_t) + \mathrm{KL}(P_t \,\|\, P_s)
 ```

 $\mathrm{KL} \to 0$ means the student matches the teacher: either learning is done or it has collapsed. The
 teacher's entropy tells which collapse: $h(P_t) \to 0$ without centring, $h(P_t) \to \ln K$ without
 sharpening. The entropy of the batch's *mean* distribution, $h(\mathrm{mean}\,P_t)$, separates a healthy
 confident teacher (each image on its own prototype: low $h(P_t)$, high $h(\mathrm{mean}\,P_t)$) from a collapsed
 one (every image on the same prototype: both low). The trainer logs all three and warns near either
 limit.

 @snippet(entropy)
 */
func watchingForCollapse(_ out: Notebook) {
    let k = 8
    let oneHot = Tensor(shape: [1, k], scalars: [1] + Array(repeating: 0, count: k - 1))
    let uniform = Tensor(shape: [1, k], repeating: 1 / Float(k))
    out.print("h(one-hot) =", fixed(meanEntropy(oneHot), 3), "  h(uniform) =", fixed(meanEntropy(uniform), 3), "= ln 8 =", fixed(Float(log(8.0)), 3))
}

/*:
 ## 4. Two collapses, on purpose

 A toy run makes both failures visible in seconds. The "network" is a linear map from 8 random features
 (plus a constant, so it *can* output the same thing for every input) to $K = 16$ prototypes; the two
 views of each of 64 points add strong noise; the teacher is the student's EMA ($\lambda = 0.99$). We train it
 three ways with plain gradient descent on $H(P_t(\text{view 1}), P_s(\text{view 2}))$ and its mirror:

 - **DINO**: centring and $\tau_t = 0.04$;
 - **no centring**: $\tau_t = 0.04$, the centre stays 0;
 - **no sharpening**: centring, $\tau_t = 1$.

 Training of this kind amplifies rounding: add two numbers in another order at step 1 and the third
 digit of the entropies differs by step 100 (the fast path, which sums in another order, shows it).
 The shape of each run does not change, so the table prints one digit after the point.
 */
func twoCollapsesOnPurpose(_ out: Notebook) {
    out.print("step        DINO               no centring         no sharpening")
    out.print("       h(P_t) h(mean P_t)   h(P_t) h(mean P_t)   h(P_t) h(mean P_t)")
    let runs = [toyRun(centring: true, teacherTemperature: 0.04), toyRun(centring: false, teacherTemperature: 0.04),
                toyRun(centring: true, teacherTemperature: 1)]
    for (row, step) in runs[0].steps.enumerated() where [1, 100, 400, 800].contains(step) {
        let cells = runs.map { "\(fixed($0.teacherEntropy[row], 1))    \(fixed($0.meanEntropy[row], 1))      " }
        out.print(String(step).padding(toLength: 7, withPad: " ", startingAt: 0) + cells.joined(separator: "  "))
    }
    out.print("ln K = \(fixed(Float(log(16.0)), 3)); without centring h → 0 (one prototype), without sharpening h → ln K (uniform)")
    let names = ["DINO", "no centring", "no sharpening"]
    let lnK = log(16.0)
    func chart(_ title: String, _ values: KeyPath<ToyRecord, [Float]>) -> String {
        Chart(title: title, xLabel: "step", yLabel: "nats", series: zip(names, runs).map { name, run in
            .init(name, zip(run.steps, run[keyPath: values]).map { (Double($0), Double($1)) })
        } + [.init("ln K (uniform)", [(0, lnK), (800, lnK)], dashed: true)], yRange: 0...3).svg()
    }
    out.figure("05-teacher-entropy.svg", caption: "h(P_t) per image: without centring it falls to 0, without sharpening it stays at ln K",
               svg: chart("Teacher entropy h(P_t)", \.teacherEntropy))
    out.figure("05-mean-entropy.svg", caption: "h(mean P_t) over the batch: only DINO keeps images on different prototypes",
               svg: chart("Entropy of the batch's mean distribution h(mean P_t)", \.meanEntropy))
}

/// What a toy run records every 20 steps: the teacher's entropy per image and of the batch's mean.
struct ToyRecord {
    var steps = [Int](), teacherEntropy = [Float](), meanEntropy = [Float]()
}

/// The toy run of step 4: h(P_t) and h(mean P_t) at step 1 and every 20 steps.
func toyRun(centring: Bool, teacherTemperature: Float) -> ToyRecord {
    let (points, features, prototypes, studentTemperature) = (64, 8, 16, Float(0.1))
    var rng = SeededGenerator(seed: 5)
    let inputs = Tensor.normal([points, features], using: &rng)
    var student = Linear(weight: .normal([prototypes, features + 1], std: 0.05, using: &rng), bias: nil)
    var teacher = student
    var center = Center(dimension: prototypes)
    func view() -> Tensor {  // the point plus noise, and the constant feature
        let noisy = inputs + Tensor.normal(inputs.shape, std: 2, using: &rng)
        return Tensor(shape: [points, features + 1], scalars: (0..<points).flatMap { Array(noisy.scalars[$0 * features..<($0 + 1) * features]) + [1] })
    }
    var record = ToyRecord()
    for step in 1...800 {
        let (view1, view2) = (view(), view())
        let (teacher1, teacher2) = (teacher.forward(view1).output, teacher.forward(view2).output)
        let target1 = teacherProbabilities(teacher1, center: center, temperature: teacherTemperature)
        let target2 = teacherProbabilities(teacher2, center: center, temperature: teacherTemperature)
        // ∂H(P_t, P_s)/∂(student logits) = (P_s − P_t)/τ_s, averaged over the batch and the two pairs.
        let scale = 1 / (studentTemperature * Float(2 * points))
        let gradient2 = (softmax(student.forward(view2).output, temperature: studentTemperature) - target1) * scale
        let gradient1 = (softmax(student.forward(view1).output, temperature: studentTemperature) - target2) * scale
        var weightGradient = student.backward(gradient2, input: view2).parameters.weight
        weightGradient.add(student.backward(gradient1, input: view1).parameters.weight)
        student.weight.add(weightGradient, scaledBy: -0.3)
        if centring { center.update(teacherOutput: .concatenated([teacher1, teacher2])) }
        updateTeacher(&teacher, towards: student, teacherMomentum: 0.99)
        if step == 1 || step % 20 == 0 {
            record.steps.append(step)
            record.teacherEntropy.append(meanEntropy(target1))
            record.meanEntropy.append(meanEntropy((target1.sumOverRows() * (1 / Float(points))).reshaped([1, prototypes])))
        }
    }
    return record
}

/*:
 ## Summary

 - The centre (Eq. 4) is a moving average of the raw teacher outputs, updated after the loss.
 - The teacher's distribution is $\mathrm{softmax}((g_t - c)/\tau_t)$: centre, then sharpen.
 - Centring alone collapses to uniform, sharpening alone to one prototype; together they balance.
 - $h(P_t)$, $h(\mathrm{mean}\,P_t)$ and $\mathrm{KL}(P_t\,\|\,P_s)$ (Eq. 5) show which way a run is going.

 ## Exercises

 1. **The centre across workers.** With data-parallel training each worker sees part of the batch,
    and the batches need not be equal. Write `exerciseDistributedCenterUpdate(center:workerOutputs:momentum:)`
    in `Exercises/Stubs/Exercise05/DistributedCenterUpdate.swift`: the centre one worker would compute
    from all the rows. Check it with `DINO_EXERCISES=stubs swift test --filter Exercise05`.
 2. **The collapse monitor.** Write `exerciseCollapseMonitor(teacher:student:)` in
    `Exercises/Stubs/Exercise05/CollapseMonitor.swift`: the batch means of $h(P_t)$ and
    $\mathrm{KL}(P_t\,\|\,P_s)$ of step 3, which the trainer logs every step.

 After trying them: [the solutions discussed](exercise-solutions.md#chapter-05), with the wrong answers
 their tests catch.
 */
/// The chapter's steps in reading order (a function: a global in `main.swift` reads 0 under tests).
func chapter() -> Chapter {
    Chapter(number: 5, title: "Centring and sharpening", steps: [
        Step("The centre (Eq. 4)", theCenter),
        Step("Centre, then sharpen", centreThenSharpen),
        Step("Watching for collapse (Eq. 5)", watchingForCollapse),
        Step("Two collapses, on purpose", twoCollapsesOnPurpose),
    ])
}

chapter().main()
