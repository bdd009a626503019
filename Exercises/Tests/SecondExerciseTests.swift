import DINO
import DINOTestSupport
import Exercises
import Foundation
import Testing

// Each chapter's second exercise, in its chapter's suite, so `--filter ExerciseNN` runs both.

extension Exercise00 {
    @Test func centralDifferencesOfACubeByHand() {
        // f(x) = Σ x³, f' = 3x²; the central difference errs by h²·f'''/6 = h² = 1e-4, a forward one by
        // h·f''/2 = 3h·x, which at x = 2 is 0.06.
        let x = Tensor(shape: [3], scalars: [-1, 0.5, 2])
        let f = { (t: Tensor) in t.scalars.reduce(0.0) { $0 + pow(Double($1), 3) } }
        let answer = exerciseCentralDifference(of: f, at: x, step: 1e-2)
        assertClose(answer, Tensor(shape: [3], scalars: [3, 0.75, 12]), absolute: 3e-4, relative: 0, "the gradient of Σ x³")
        // Negative control: the forward difference misses by far more than the tolerance.
        let forward = Float((f(Tensor(shape: [3], scalars: [-1, 0.5, 2.01])) - f(x)) / 0.01)
        #expect(abs(forward - 12) > 3e-2, "negative control: expected the forward difference to miss 12 by over 0.03, got \(forward)")
    }

    @Test func eachElementIsRestoredBeforeTheNext() {
        // f = Σ x_i·x_{i+1} couples neighbours: an element left nudged changes its neighbour's difference.
        var rng = SeededGenerator(seed: 21)
        let x = Tensor.normal([6], using: &rng)
        let f = { (t: Tensor) in (0..<5).reduce(0.0) { $0 + Double(t.scalars[$1]) * Double(t.scalars[$1 + 1]) } }
        let exact = Tensor(shape: [6], scalars: (0..<6).map { i in (i > 0 ? x.scalars[i - 1] : 0) + (i < 5 ? x.scalars[i + 1] : 0) })
        assertClose(exerciseCentralDifference(of: f, at: x, step: 1e-2), exact, absolute: 1e-3, relative: 0, "∂/∂x_i of Σ x_i·x_{i+1}")
    }
}

extension Exercise01 {
    @Test func unpatchifyByHand() {
        // A 4×4 image with p = 2: patch 1 is the top-right 2×2 block, (2, 3, 6, 7).
        let patches = Tensor(shape: [4, 4], scalars: [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15])
        let answer = exerciseUnpatchify(patches, channels: 1, height: 4, width: 4, patchSize: 2)
        assertClose(answer, Tensor(shape: [1, 1, 4, 4], scalars: (0..<16).map(Float.init)), absolute: 0, "the image")
    }

    @Test func undoesPatchifyOnAWideGrid() {
        // 2 images, 3 channels, 8×12 with p = 4: a 2×3 grid, so swapping rows and columns shows.
        var rng = SeededGenerator(seed: 11)
        let images = Tensor.normal([2, 3, 8, 12], using: &rng)
        let answer = exerciseUnpatchify(patchify(images, patchSize: 4), channels: 3, height: 8, width: 12, patchSize: 4)
        assertClose(answer, images, absolute: 0, "unpatchify(patchify(x))")
    }
}

extension Exercise02 {
    @Test func attentionWeightsByHand() {
        // d = 4, so the scale is 1/2: query 0 scores (4/2, 0) against the keys, query 1 scores (0, 0).
        let queries = Tensor(shape: [2, 4], scalars: [1, 1, 1, 1, 0, 0, 0, 0])
        let answer = exerciseAttentionWeights(queries: queries, keys: queries)
        let e2 = Float(exp(2.0))
        assertClose(answer, Tensor(shape: [2, 2], scalars: [e2 / (e2 + 1), 1 / (e2 + 1), 0.5, 0.5]), absolute: 1e-6, "softmax(QKᵀ/√d)")
        // Negative control: without the 1/√d scale, query 0 would give e⁴/(e⁴ + 1) = 0.982, not 0.881.
        let unscaled = Float(exp(4.0) / (exp(4.0) + 1))
        #expect(abs(unscaled - e2 / (e2 + 1)) > 0.1, "negative control: expected the unscaled weight to differ, got \(unscaled)")
    }

    @Test func attentionWeightsMatchTheLibrary() {
        var rng = SeededGenerator(seed: 12)
        let (queries, keys) = (Tensor.normal([5, 8], using: &rng), Tensor.normal([5, 8], using: &rng))
        let expected = softmax(referenceMatmul(queries, keys, transposeB: true) * (1 / Float(8).squareRoot()))
        assertClose(exerciseAttentionWeights(queries: queries, keys: keys), expected, absolute: 1e-6, "5 queries over 5 keys")
    }
}

extension Exercise03 {
    @Test func exactGELUNotTheTanhApproximation() {
        let xs: [Float] = [-4, -2.5, -1, -0.3, 0, 0.3, 1, 2, 3.5]
        let answers = xs.map { exerciseGELU($0) }
        assertClose(Tensor(shape: [9], scalars: answers.map(\.value)), gelu(Tensor(shape: [9], scalars: xs)), absolute: 2e-6, "GELU(x)")
        // Negative control: the tanh approximation misses the exact values by far more than the tolerance.
        let tanhApproximation = xs.map { x in 0.5 * x * (1 + tanh((2 / Float.pi).squareRoot() * (x + 0.044715 * x * x * x))) }
        let worst = zip(tanhApproximation, gelu(Tensor(shape: [9], scalars: xs)).scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(worst > 5e-5, "negative control: expected the tanh approximation to differ by over 5e-5, got \(worst)")
    }

    @Test func geluSlopeMatchesCentralDifferences() {
        let xs: [Float] = [-3, -1.2, -0.1, 0, 0.4, 1.5, 2.8]
        let slopes = Tensor(shape: [7], scalars: xs.map { exerciseGELU($0).slope })
        assertClose(slopes, geluDerivative(Tensor(shape: [7], scalars: xs)), absolute: 1e-5, "GELU'(x)")
        let h: Float = 1e-2
        let differences = xs.map { (exerciseGELU($0 + h).value - exerciseGELU($0 - h).value) / (2 * h) }
        assertClose(slopes, Tensor(shape: [7], scalars: differences), absolute: 2e-3, "GELU'(x) against its own central differences")
    }
}

extension Exercise04 {
    @Test func weightNormalizationByHand() {
        let answer = exerciseWeightNormalizedWeight(direction: Tensor(shape: [2, 2], scalars: [3, 4, 0, 2]),
                                                    magnitude: Tensor(shape: [2, 1], scalars: [1, 2]))
        assertClose(answer, Tensor(shape: [2, 2], scalars: [0.6, 0.8, 0, 2]), absolute: 1e-6, "g_k·v_k/‖v_k‖")
        // Negative control: one norm for the whole matrix (√29) would give row 0 = (0.557, 0.743).
        let globalNorm = 3 / Float(29).squareRoot()
        #expect(abs(globalNorm - 0.6) > 0.01, "negative control: expected the global norm to give another weight, got \(globalNorm)")
    }

    @Test func weightNormalizationMatchesTheLayer() {
        var rng = SeededGenerator(seed: 14)
        var layer = WeightNormalizedLinear(inputSize: 6, outputSize: 5, magnitudeIsTrainable: true, using: &rng)
        layer.magnitude = Tensor(shape: [5, 1], scalars: [0.5, 1, 2, 3, 0.1])
        assertClose(exerciseWeightNormalizedWeight(direction: layer.direction, magnitude: layer.magnitude),
                    layer.effectiveWeight().weight, absolute: 1e-6, "the layer's effective weight")
    }
}

extension Exercise05 {
    @Test func collapseMonitorByHand() {
        // Row 0: one-hot teacher (h = 0, and 0·ln 0 counts as 0); row 1: (½, ½) against (0.9, 0.1).
        let teacher = Tensor(shape: [2, 2], scalars: [1, 0, 0.5, 0.5]), student = Tensor(shape: [2, 2], scalars: [0.8, 0.2, 0.9, 0.1])
        let answer = exerciseCollapseMonitor(teacher: teacher, student: student)
        let entropy = Float(log(2.0)) / 2
        let kl = Float(-log(0.8) + 0.5 * log(0.5 / 0.9) + 0.5 * log(0.5 / 0.1)) / 2
        #expect(abs(answer.teacherEntropy - entropy) < 1e-6, "h(P_t): expected \(entropy), got \(answer.teacherEntropy)")
        #expect(abs(answer.kl - kl) < 1e-6, "KL(P_t‖P_s): expected \(kl), got \(answer.kl)")
        // Negative control: KL the other way round, KL(P_s‖P_t), is another number.
        let reversed = Float(0.9 * log(0.9 / 0.5) + 0.1 * log(0.1 / 0.5)), forward = Float(0.5 * log(0.5 / 0.9) + 0.5 * log(0.5 / 0.1))
        #expect(abs(reversed - forward) > 0.1, "negative control: expected KL(P_s‖P_t) to differ from \(forward), got \(reversed)")
    }

    @Test func collapseMonitorMatchesTheLibrary() {
        var rng = SeededGenerator(seed: 15)
        let teacher = softmax(Tensor.normal([6, 10], using: &rng), temperature: 0.3), student = softmax(Tensor.normal([6, 10], using: &rng))
        let answer = exerciseCollapseMonitor(teacher: teacher, student: student)
        #expect(abs(answer.teacherEntropy - meanEntropy(teacher)) < 1e-5, "h(P_t): expected \(meanEntropy(teacher)), got \(answer.teacherEntropy)")
        // H(P_t, P_s) = h(P_t) + KL(P_t‖P_s) (Eq. 5): the cross-entropy from its definition.
        let crossEntropy = (0..<60).reduce(Double(0)) { $0 - Double(teacher.scalars[$1]) * log(Double(student.scalars[$1])) } / 6
        #expect(abs(Double(answer.teacherEntropy + answer.kl) - crossEntropy) < 1e-4, "h + KL: expected \(crossEntropy), got \(answer.teacherEntropy + answer.kl)")
    }
}

extension Exercise06 {
    @Test func teacherTemperatureByHand() {
        let answer = exerciseTeacherTemperatureSchedule(warmupTemperature: 0.04, temperature: 0.07, warmupEpochs: 4, epochs: 6)
        assertClose(Tensor(shape: [answer.count], scalars: answer), Tensor(shape: [6], scalars: [0.04, 0.05, 0.06, 0.07, 0.07, 0.07]),
                    absolute: 1e-7, "τ_t per epoch (linspace includes both ends)")
    }

    /// One warm-up epoch is `linspace(0.04, 0.07, 1)` = `[0.04]`: no division by `W − 1 = 0`, which gives
    /// NaN in exactly the setting of the recipe study's one-epoch warm-up row.
    @Test func teacherTemperatureWithOneWarmUpEpoch() {
        let answer = exerciseTeacherTemperatureSchedule(warmupTemperature: 0.04, temperature: 0.07, warmupEpochs: 1, epochs: 3)
        #expect(answer.count == 3 && answer.allSatisfy(\.isFinite), "expected three finite temperatures, got \(answer)")
        assertClose(Tensor(shape: [answer.count], scalars: answer), Tensor([0.04, 0.07, 0.07]), absolute: 1e-7, "one warm-up epoch")
    }

    @Test func teacherTemperatureMatchesTheLibrary() {
        let answer = exerciseTeacherTemperatureSchedule(warmupTemperature: 0.04, temperature: 0.07, warmupEpochs: 30, epochs: 100)
        let expected = teacherTemperatureSchedule(warmupTemperature: 0.04, temperature: 0.07, warmupEpochs: 30, epochs: 100)
        assertClose(Tensor(shape: [answer.count], scalars: answer), Tensor(shape: [100], scalars: expected), absolute: 1e-7, "the paper's schedule")
    }
}

extension Exercise07 {
    @Test func halfLifeByHand() {
        // λ = ½ halves the distance in one step; λ = 0.996 takes ln ½ / ln 0.996 = 172.9 steps.
        let half = exerciseTeacherHalfLife(momentum: 0.5), slow = exerciseTeacherHalfLife(momentum: 0.996)
        #expect(abs(half - 1) < 1e-9, "λ = 0.5: expected 1 step, got \(half)")
        #expect(abs(slow - 172.94) < 0.01, "λ = 0.996: expected 172.94 steps, got \(slow)")
        // Negative control: the linear guess ½/(1 − λ) = 125 is far off.
        let linearGuess = 0.5 / (1 - 0.996)
        #expect(abs(linearGuess - 172.94) > 40, "negative control: expected the linear guess to miss 172.94, got \(linearGuess)")
    }

    @Test func halfLifeMatchesTheLibraryEMA() {
        // The library's EMA, run until the teacher passes ½, stops at the first whole step past the answer.
        for momentum: Float in [0.9, 0.99] {
            var teacher = Linear(weight: Tensor(shape: [1, 1], scalars: [0]), bias: nil)
            let student = Linear(weight: Tensor(shape: [1, 1], scalars: [1]), bias: nil)
            var steps = 0
            while teacher.weight.scalars[0] < 0.5 { updateTeacher(&teacher, towards: student, teacherMomentum: momentum); steps += 1 }
            let answer = exerciseTeacherHalfLife(momentum: Double(momentum))
            #expect(Double(steps) >= answer && Double(steps) < answer + 1, "λ = \(momentum): expected the EMA to pass ½ within a step after \(steps - 1), got \(answer)")
        }
    }
}

extension Exercise08 {
    @Test func clippingEachParameterByHand() {
        // (3, 4) has norm 5 > 3: scaled by 3/(5 + 1e-6). (0.3, 0.4) has norm 0.5 < 3: left alone, not scaled up.
        let answer = exerciseClipEachParameter([Tensor(shape: [2], scalars: [3, 4]), Tensor(shape: [2], scalars: [0.3, 0.4])], maximum: 3)
        guard answer.count == 2 else { Issue.record("expected two gradients, got \(answer.count)"); return }
        assertClose(answer[0], Tensor(shape: [2], scalars: [1.8, 2.4]), absolute: 1e-5, "the large gradient")
        assertClose(answer[1], Tensor(shape: [2], scalars: [0.3, 0.4]), absolute: 0, "the small gradient")
        // Negative control: clipping the global norm (√25.25) would shrink the small gradient too.
        let globallyClipped = 0.3 * 3 / Float(25.25).squareRoot()
        #expect(abs(globallyClipped - 0.3) > 0.05, "negative control: expected global clipping to shrink 0.3, got \(globallyClipped)")
    }

    @Test func clippingMatchesTheLibrary() {
        var rng = SeededGenerator(seed: 18)
        var gradients = Linear(weight: .normal([4, 5], std: 2, using: &rng), bias: .normal([4], std: 0.1, using: &rng))
        let answer = exerciseClipEachParameter([gradients.weight, gradients.bias ?? Tensor(zeros: [4])], maximum: 1)
        clipGradientsPerParameter(&gradients, maximum: 1)
        guard answer.count == 2 else { Issue.record("expected two gradients, got \(answer.count)"); return }
        assertClose(answer[0], gradients.weight, absolute: 1e-6, "the weight's gradient (clipped)")
        assertClose(answer[1], gradients.bias ?? Tensor(zeros: [4]), absolute: 1e-6, "the bias's gradient (left alone)")
    }
}

extension Exercise09 {
    @Test func crc32cOfTheCheckValue() {
        let answer = exerciseCRC32C(Array("123456789".utf8))
        let hex = "0x" + String(answer, radix: 16, uppercase: true)
        #expect(answer == 0xE306_9283, "expected 0xE3069283, got \(hex)")
        // The zip/PNG CRC-32 (polynomial 0xEDB88320) of the same bytes is 0xCBF43926: the common wrong answer.
        #expect(answer != 0xCBF4_3926, "expected CRC-32C, got \(hex), which is the zip/PNG CRC-32 (polynomial 0xEDB88320)")
    }

    @Test func crc32cMatchesTheCheckpoints() {
        var rng = SeededGenerator(seed: 19)
        for count in [1, 7, 8, 100] {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let answer = exerciseCRC32C(bytes), expected = CRC32C.checksum(bytes)
            let (got, want) = (String(answer, radix: 16), String(expected, radix: 16))
            #expect(answer == expected, "\(count) bytes: expected 0x\(want), got \(got)")
        }
    }
}
