import DINO
import DINOTestSupport
import Exercises
import Foundation
import Testing

@Suite(.enabled(if: exercisesEnabled, "set DINO_EXERCISES=stubs (your work) or =solutions"))
struct Exercise04 {
    @Test func gradientAlongTheOutputVanishes() {
        let (y, norms) = l2Normalize(Tensor(shape: [1, 2], scalars: [3, 4]))
        let answer = exerciseL2NormalizeBackward(outputGradient: Tensor(shape: [1, 2], scalars: [0, 1]), output: y, norms: norms)
        // g = (0, 1), y = (0.6, 0.8): (g − 0.8·y)/5 = (−0.48, 0.36)/5.
        assertClose(answer, Tensor(shape: [1, 2], scalars: [-0.096, 0.072]), absolute: 1e-6, "∂L/∂x")
    }

    @Test func matchesCentralDifferences() {
        var rng = SeededGenerator(seed: 4)
        let x = Tensor.normal([3, 5], using: &rng)
        let probe = ProbeLoss(shape: [3, 5])
        let (y, norms) = l2Normalize(x)
        expectGradient(exerciseL2NormalizeBackward(outputGradient: probe.weights, output: y, norms: norms),
                       of: { probe(l2Normalize($0).output) }, at: x, "∂L/∂x")
    }
}

@Suite(.enabled(if: exercisesEnabled, "set DINO_EXERCISES=stubs (your work) or =solutions"))
struct Exercise05 {
    @Test func byHandWithUnequalWorkers() {
        // Worker 0 has rows (1, 2) and (3, 4), worker 1 the row (7, 9): the global mean is (11/3, 5).
        let answer = exerciseDistributedCenterUpdate(
            center: Tensor(shape: [1, 2], scalars: [1, 1]),
            workerOutputs: [Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), Tensor(shape: [1, 2], scalars: [7, 9])], momentum: 0.9)
        let expected = Tensor(shape: [1, 2], scalars: [0.9 + 0.1 * 11 / 3, 0.9 + 0.1 * 5])
        assertClose(answer, expected, absolute: 1e-6, "the centre from the global mean")
        // Negative control: the mean of the workers' means, (4.5, 5.5), gives another centre.
        let meanOfMeans = Tensor(shape: [1, 2], scalars: [0.9 + 0.45, 0.9 + 0.55])
        #expect(compare(meanOfMeans, expected, absolute: 1e-6, relative: 1e-5).failures > 0)
    }

    @Test func oneWorkerIsTheLibrarysCentre() {
        var rng = SeededGenerator(seed: 5)
        var center = Center(dimension: 6)
        center.value = .normal([1, 6], using: &rng)
        let teacher = Tensor.normal([8, 6], using: &rng)
        let split = exerciseDistributedCenterUpdate(center: center.value, workerOutputs: [teacher.rows(0..<3), teacher.rows(3..<8)], momentum: 0.9)
        center.update(teacherOutput: teacher)
        assertClose(split, center.value, absolute: 1e-6, "three rows on one worker, five on another, against one worker")
    }
}

@Suite(.enabled(if: exercisesEnabled, "set DINO_EXERCISES=stubs (your work) or =solutions"))
struct Exercise06 {
    @Test(arguments: [4, 10])
    func matchesTheLibraryLoss(crops: Int) throws {
        var rng = SeededGenerator(seed: UInt64(crops))
        let loss = try DINOLoss(LossConfiguration(outputDimension: 7, cropCount: crops), epochs: 1)
        let student = Tensor.normal([crops * 3, 7], using: &rng), teacher = Tensor.normal([6, 7], using: &rng)
        let expected = loss(studentOutput: student, teacherOutput: teacher, epoch: 0).loss
        let probabilities = teacherProbabilities(teacher, center: loss.center, temperature: loss.teacherTemperature(epoch: 0))
        let answer = exerciseDINOLoss(studentOutput: student, teacherProbabilities: probabilities, cropCount: crops, studentTemperature: 0.1)
        #expect(abs(answer - expected) < 1e-4 * max(1, abs(expected)), "expected the library's loss \(expected), got \(answer)")
    }

    /// The gradient the chapter derives, `(n·P_s − Σᵢ P_t(i)) / τ_s / ((2V − 2)·B)` per student row (the
    /// library's `studentGradient`), is the slope of your loss: central differences of your function
    /// against it, element by element (Float central differences at h = 1e-2 agree to about 1e-4 here).
    @Test func itsGradientIsTheOneTheChapterDerives() throws {
        var rng = SeededGenerator(seed: 11)
        let crops = 4
        let loss = try DINOLoss(LossConfiguration(outputDimension: 5, cropCount: crops), epochs: 1)
        let student = Tensor.normal([crops * 2, 5], using: &rng), teacher = Tensor.normal([4, 5], using: &rng)
        let derived = loss(studentOutput: student, teacherOutput: teacher, epoch: 0).studentGradient
        let probabilities = teacherProbabilities(teacher, center: loss.center, temperature: loss.teacherTemperature(epoch: 0))
        let h: Float = 1e-2
        var numeric = Tensor(zeros: student.shape)
        for index in 0..<student.count {
            var (up, down) = (student, student)
            up.scalars[index] += h
            down.scalars[index] -= h
            let lossUp = exerciseDINOLoss(studentOutput: up, teacherProbabilities: probabilities, cropCount: crops, studentTemperature: 0.1)
            let lossDown = exerciseDINOLoss(studentOutput: down, teacherProbabilities: probabilities, cropCount: crops, studentTemperature: 0.1)
            numeric.scalars[index] = (lossUp - lossDown) / (2 * h)
        }
        assertClose(numeric, derived, absolute: 2e-4, relative: 2e-2, "the slope of your loss against the chapter's gradient")
    }
}

@Suite(.enabled(if: exercisesEnabled, "set DINO_EXERCISES=stubs (your work) or =solutions"))
struct Exercise07 {
    @Test func byHand() {
        assertClose(exerciseEMA(teacher: Tensor([1, 0]), student: Tensor([0, 1]), teacherMomentum: 0.9), Tensor([0.9, 0.1]), absolute: 1e-6, "λ = 0.9")
    }

    @Test func matchesTheLibraryOverManySteps() {
        var teacher = Linear(weight: Tensor(shape: [1, 2], scalars: [0, 0]), bias: nil)
        let student = Linear(weight: Tensor(shape: [1, 2], scalars: [1, -1]), bias: nil)
        var mine = teacher.weight
        for _ in 0..<50 {
            updateTeacher(&teacher, towards: student, teacherMomentum: 0.95)
            mine = exerciseEMA(teacher: mine, student: student.weight, teacherMomentum: 0.95)
        }
        assertClose(mine, teacher.weight, absolute: 1e-6, "after 50 steps at λ = 0.95")
    }
}

@Suite(.enabled(if: exercisesEnabled, "set DINO_EXERCISES=stubs (your work) or =solutions"))
struct Exercise08 {
    @Test func byHand() {
        let answer = exerciseCosineSchedule(base: 1, final: 0, epochs: 2, iterationsPerEpoch: 2, warmupEpochs: 1)
        let expected = [0, 1, 1, 0.5]
        #expect(answer.count == expected.count && zip(answer, expected).allSatisfy { abs($0 - $1) < 1e-12 },
                "expected \(expected), got \(answer)")
    }

    /// A warm-up of one iteration is `linspace(0, base, 1)` = `[0]`: no division by `W − 1 = 0` (which
    /// would give NaN, in exactly the setting of a one-epoch, one-iteration warm-up).
    @Test func aWarmUpOfOneIteration() {
        let answer = exerciseCosineSchedule(base: 1, final: 0, epochs: 3, iterationsPerEpoch: 1, warmupEpochs: 1)
        let expected = cosineSchedule(base: 1, final: 0, epochs: 3, iterationsPerEpoch: 1, warmupEpochs: 1)
        #expect(answer.count == 3 && answer.allSatisfy(\.isFinite), "expected three finite values, got \(answer)")
        #expect(answer.count == expected.count && zip(answer, expected).allSatisfy { abs($0 - $1) < 1e-12 },
                "expected \(expected) (the warm-up's single value is 0), got \(answer)")
    }

    @Test func matchesTheLibrary() {
        let expected = cosineSchedule(base: 5e-4, final: 1e-6, epochs: 7, iterationsPerEpoch: 13, warmupEpochs: 2)
        let answer = exerciseCosineSchedule(base: 5e-4, final: 1e-6, epochs: 7, iterationsPerEpoch: 13, warmupEpochs: 2)
        let first = zip(answer, expected).enumerated().first { abs($0.element.0 - $0.element.1) >= 1e-12 }
        #expect(answer.count == expected.count, "expected \(expected.count) values (epochs × iterations), got \(answer.count)")
        #expect(first == nil, "iteration \(first?.offset ?? 0): expected \(first?.element.1 ?? 0), got \(first?.element.0 ?? 0)")
    }
}
