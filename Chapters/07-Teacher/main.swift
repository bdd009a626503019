/*:
 # 07 · The momentum teacher

 There are no labels, so the targets come from a second network: the **teacher**. It has the student's
 architecture, starts as an exact copy of it, and then follows it slowly by an exponential moving
 average of the weights:

 ```math
 \theta_t \leftarrow \lambda\,\theta_t + (1 - \lambda)\,\theta_s, \qquad \lambda: 0.996 \to 1 \text{ (cosine)}
 ```

 The teacher never receives a gradient. Because it averages the student over many steps, it behaves like
 an ensemble of recent students and gives better targets than the student itself: in the paper, the
 teacher outperforms the student throughout training, and without a momentum teacher DINO collapses.
 */
// weave: time 30 min (15 reading and running, 15 for the exercises)
import DINO
import Figures
import Notebook

/*:
 ## 1. A copy of the student, without DropPath

 The pair of networks is one type. The teacher is made from the student at the start, backbone and head,
 with DropPath switched off: its targets must not be noisy.

 @snippet(dino-vit)
 */
func aCopyOfTheStudent(_ out: Notebook) {
    var rng = SeededGenerator(seed: 1)
    let pair = DINOViT(backbone: ViTConfiguration(imageSize: 28, patchSize: 4, channels: 1, dimension: 12, depth: 3, heads: 3),
                       head: HeadConfiguration(inputDimension: 12, outputDimension: 32, hiddenDimension: 16, bottleneckDimension: 8), using: &rng)
    out.print("same weights:", pair.teacher.namedParameters.map(\.tensor) == pair.student.namedParameters.map(\.tensor),
              " (\(pair.teacher.namedParameters.count) tensors, names like \(pair.teacher.namedParameters[0].name), \(pair.teacher.namedParameters.last!.name))")
    out.print("DropPath, student:", fixed(pair.student.backbone.blocks.map(\.dropPathRate), 2), " teacher:", fixed(pair.teacher.backbone.blocks.map(\.dropPathRate), 2))
}

/*:
 ## 2. The EMA, by name

 The update walks the teacher's parameters and finds each student parameter by its name. $\lambda$ weighs the
 teacher; inverting the convention ($\lambda$ on the student) is a classic mistake that turns the teacher into
 a copy of the student.

 @snippet(ema)

 With the student held still at 1 and the teacher starting at 0, the teacher reaches $1 - \lambda^{n}$ after `n`
 steps: with $\lambda = 0.996$ it takes about 170 steps to get halfway.
 */
func theEMAByName(_ out: Notebook) {
    var teacher = Linear(weight: Tensor(shape: [1, 1], scalars: [0]), bias: nil)
    let student = Linear(weight: Tensor(shape: [1, 1], scalars: [1]), bias: nil)
    var trace = [String]()
    for step in 1...400 {
        updateTeacher(&teacher, towards: student, teacherMomentum: 0.996)
        if [1, 10, 100, 173, 400].contains(step) { trace.append("n=\(step): \(fixed(teacher.weight.scalars[0], 4))") }
    }
    out.print(trace.joined(separator: "  "))
    // The same run at three momenta, every 5 steps: how fast the teacher follows.
    let series = [Float(0.9), 0.99, 0.996].map { momentum in
        var follower = Linear(weight: Tensor(shape: [1, 1], scalars: [0]), bias: nil)
        var points = [(x: 0.0, y: 0.0)]
        for step in 1...1000 {
            updateTeacher(&follower, towards: student, teacherMomentum: momentum)
            if step % 5 == 0 { points.append((Double(step), Double(follower.weight.scalars[0]))) }
        }
        return Chart.Series("λ = \(momentum)", points)
    }
    let chart = Chart(title: "A teacher following a student held at 1", xLabel: "step n", yLabel: "teacher weight = 1 − λⁿ",
                      series: series + [.init("halfway", [(0, 0.5), (1000, 0.5)], dashed: true)], yRange: 0...1)
    out.figure("07-teacher-follows.svg", caption: "the larger λ, the slower and smoother the teacher: halfway after 7, 69 and 173 steps", svg: chart.svg())
}

/*:
 ## 3. The teacher has no gradient

 Only the student's parameters are in the optimiser: a training step changes the student, and the
 teacher changes only when `updateTeacher(teacherMomentum:)` is called, after the optimiser's step.
 */
func theTeacherHasNoGradient(_ out: Notebook) {
    var rng = SeededGenerator(seed: 3)
    var pair = DINOViT(backbone: ViTConfiguration(imageSize: 8, patchSize: 4, channels: 1, dimension: 4, depth: 1, heads: 1),
                       head: HeadConfiguration(inputDimension: 4, outputDimension: 8, hiddenDimension: 6, bottleneckDimension: 3), using: &rng)
    let before = pair.teacher
    var optimizer = AdamW()
    var gradients = pair.student
    gradients.visitParameters(prefix: "") { _, tensor in tensor = .normal(tensor.shape, using: &rng) }
    optimizer.step(&pair.student, gradients: gradients, learningRate: 0.01, weightDecay: 0.04)
    out.print("after an optimiser step: student changed:", pair.student != before, " teacher changed:", pair.teacher != before)
    pair.updateTeacher(teacherMomentum: 0.996)
    out.print("after updateTeacher(teacherMomentum: 0.996): teacher changed:", pair.teacher != before)
}

/*:
 ## Summary

 - The teacher starts as an exact copy of the student (backbone and head), without DropPath.
 - $\theta_t \leftarrow \lambda \theta_t + (1 - \lambda)\theta_s$ by parameter name, $\lambda$ on the teacher, rising from 0.996 to 1.
 - The teacher never receives a gradient; it changes only through the EMA.

 ## Exercises

 1. **The EMA update.** Write `exerciseEMA(teacher:student:teacherMomentum:)` in
    `Exercises/Stubs/Exercise07/EMA.swift`. Check it with `DINO_EXERCISES=stubs swift test --filter Exercise07`.
 2. **The teacher's half-life.** Write `exerciseTeacherHalfLife(momentum:)` in
    `Exercises/Stubs/Exercise07/TeacherHalfLife.swift`: the number of steps after which the teacher has
    covered half the way to a still student, the time scale on which it averages the student.

 After trying them: [the solutions discussed](exercise-solutions.md#chapter-07), with the wrong answers
 their tests catch.
 */
/// The chapter's steps in reading order (a function: a global in `main.swift` reads 0 under tests).
func chapter() -> Chapter {
    Chapter(number: 7, title: "The momentum teacher", steps: [
        Step("A copy of the student, without DropPath", aCopyOfTheStudent),
        Step("The EMA, by name", theEMAByName),
        Step("The teacher has no gradient", theTeacherHasNoGradient),
    ])
}

chapter().main()
