import DINO
import DINOTraining
import DINOTestSupport
import Foundation
import Testing

/// Each equation of the paper against a case computed by hand, with a negative control.
@Suite struct EquationTests {
    /// Two globals and one local, K = 2, B = 1, chosen so every probability is a simple fraction.
    func handCase() throws -> (loss: DINOLoss, student: Tensor, teacher: Tensor) {
        var configuration = LossConfiguration(outputDimension: 2, cropCount: 3)
        configuration.teacherTemperature = 0.04
        let loss = try DINOLoss(configuration, epochs: 1)
        let ln3 = Float(log(3.0))
        // s/τ_s: crop 0 → (0, 0), crop 1 → (0, ln 3), crop 2 → (ln 3, 0): P_s = (½, ½), (¼, ¾), (¾, ¼).
        let student = Tensor(shape: [3, 2], scalars: [0, 0, 0, 0.1 * ln3, 0.1 * ln3, 0])
        // (g_t − 0)/τ_t: global 0 → (0, 0), global 1 → (ln 3, 0): P_t = (½, ½), (¾, ¼).
        let teacher = Tensor(shape: [2, 2], scalars: [0, 0, 0.04 * ln3, 0])
        return (loss, student, teacher)
    }

    func crossEntropy(_ p: [Double], _ q: [Double]) -> Double { -zip(p, q).reduce(0) { $0 + $1.0 * log($1.1) } }

    @Test func eq1to3LossByHand() throws {
        let (loss, student, teacher) = try handCase()
        let result = loss(studentOutput: student, teacherOutput: teacher, epoch: 0)
        let (t0, t1) = ([0.5, 0.5], [0.75, 0.25])
        let (s0, s1, s2) = ([0.5, 0.5], [0.25, 0.75], [0.75, 0.25])
        // Pairs (i, v ≠ i): (0, 1), (0, 2), (1, 0), (1, 2): |P| = 2V − 2 = 4.
        let expected = (crossEntropy(t0, s1) + crossEntropy(t0, s2) + crossEntropy(t1, s0) + crossEntropy(t1, s2)) / 4
        #expect(abs(Double(result.loss) - expected) < 1e-6)
        // Negative control: keeping the same-view pairs (0, 0), (1, 1) gives another number.
        let withSameView = (4 * expected + crossEntropy(t0, s0) + crossEntropy(t1, s1)) / 6
        #expect(abs(Double(result.loss) - withSameView) > 1e-3)
        // Eq. 5: H(P_t, P_s) = h(P_t) + KL, with h(P_t) the mean of the two teacher entropies.
        let teacherEntropy = (crossEntropy(t0, t0) + crossEntropy(t1, t1)) / 2
        #expect(abs(Double(result.statistics.teacherEntropy) - teacherEntropy) < 1e-6)
        #expect(abs(Double(result.statistics.klDivergence) - (expected - teacherEntropy)) < 1e-6)
    }

    @Test func lossGradientIsStudentMinusTeacherOverTemperature() throws {
        let (loss, student, teacher) = try handCase()
        let result = loss(studentOutput: student, teacherOutput: teacher, epoch: 0)
        // Crop 2 (local) pairs with both globals: ∂/∂s₂ = (2·P_s(2) − P_t(0) − P_t(1)) / (τ_s·|P|·B).
        let expected: [Float] = [(2 * 0.75 - 0.5 - 0.75) / (0.1 * 4), (2 * 0.25 - 0.5 - 0.25) / (0.1 * 4)]
        assertClose(result.studentGradient.rows(2..<3).reshaped([2]), Tensor(expected), absolute: 1e-5)
        expectGradient(result.studentGradient, of: { s in Double(loss(studentOutput: s, teacherOutput: teacher, epoch: 0).loss) },
                       at: student, step: 1e-3, "∂loss/∂student")
    }

    @Test func eq4CenterByHand() {
        var center = Center(dimension: 2, momentum: 0.9)
        center.update(teacherOutput: Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))  // batch mean (2, 3)
        assertClose(center.value, Tensor(shape: [1, 2], scalars: [0.2, 0.3]), absolute: 1e-7)
        center.update(teacherOutput: Tensor(shape: [1, 2], scalars: [0, 0]))
        assertClose(center.value, Tensor(shape: [1, 2], scalars: [0.18, 0.27]), absolute: 1e-7)
        // Data-parallel hook: two workers with the same batch sum give the same centre as one.
        var twoWorkers = Center(dimension: 2)
        twoWorkers.update(teacherOutput: Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), sumAcrossWorkers: { $0 * 2 }, workerCount: 2)
        assertClose(twoWorkers.value, Tensor(shape: [1, 2], scalars: [0.2, 0.3]), absolute: 1e-7)
    }

    @Test func centreFirstThenSharpen() {
        var center = Center(dimension: 2)
        center.value = Tensor(shape: [1, 2], scalars: [1, 0])
        // (g − c)/τ = ((1 − 1), (0 − 0))/0.5 = (0, 0): uniform. Sharpening first would give softmax((2, 0)) − c.
        let p = teacherProbabilities(Tensor(shape: [1, 2], scalars: [1, 0]), center: center, temperature: 0.5)
        assertClose(p, Tensor(shape: [1, 2], scalars: [0.5, 0.5]), absolute: 1e-6)
    }

    @Test func updatingTheCentreBeforeTheLossChangesIt() throws {
        // Negative control for the order: the centre must move only after the loss.
        let data = try Fixture("dino_parity")
        var configuration = LossConfiguration(outputDimension: 16, cropCount: 4)
        (configuration.warmupTeacherTemperature, configuration.teacherTemperature, configuration.warmupTeacherTemperatureEpochs) = (0.04, 0.07, 2)
        var early = try DINOLoss(configuration, epochs: 4)
        early.updateCenter(teacherOutput: try data["loss.a.step0.teacher"])
        let wrongOrder = early(studentOutput: try data["loss.a.step0.student"], teacherOutput: try data["loss.a.step0.teacher"], epoch: 0)
        #expect(abs(wrongOrder.loss - (try data["loss.a.step0.loss"]).scalars[0]) > 1e-3)
    }

    @Test func teacherTemperatureWarmsUpPerEpoch() {
        assertClose(Tensor(teacherTemperatureSchedule(warmupTemperature: 0.04, temperature: 0.07, warmupEpochs: 3, epochs: 5)),
                    Tensor([0.04, 0.055, 0.07, 0.07, 0.07]), absolute: 1e-7)
        #expect(teacherTemperatureSchedule(warmupTemperature: 0.04, temperature: 0.04, warmupEpochs: 0, epochs: 2) == [0.04, 0.04])
    }

    @Test func emaByHandAndItsConvention() {
        var teacher = Linear(weight: Tensor(shape: [1, 1], scalars: [1]), bias: Tensor([0]))
        let student = Linear(weight: Tensor(shape: [1, 1], scalars: [0]), bias: Tensor([1]))
        updateTeacher(&teacher, towards: student, teacherMomentum: 0.9)
        #expect(abs(teacher.weight.scalars[0] - 0.9) < 1e-7)  // λ weighs the teacher: 0.9·1 + 0.1·0
        #expect(abs(teacher.bias!.scalars[0] - 0.1) < 1e-7)
        #expect(abs(teacher.weight.scalars[0] - 0.1) > 0.5)   // the inverted convention would give 0.1
    }

    @Test func cosineScheduleByHand() {
        let schedule = cosineSchedule(base: 1, final: 0, epochs: 2, iterationsPerEpoch: 2, warmupEpochs: 1)
        #expect(schedule.count == 4)
        for (value, expected) in zip(schedule, [0, 1, 1, 0.5]) { #expect(abs(value - expected) < 1e-12) }
        // Momentum: cosine from 0.996 to 1, no warm-up: starts at 0.996, ends below 1, rises monotonically.
        let momentum = cosineSchedule(base: 0.996, final: 1, epochs: 3, iterationsPerEpoch: 5)
        #expect(momentum.first == 0.996)
        #expect(zip(momentum, momentum.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func clippingIsPerParameterNotGlobal() {
        var gradients = Linear(weight: Tensor(shape: [1, 2], scalars: [3, 4]), bias: Tensor([0.5]))
        let norms = clipGradientsPerParameter(&gradients, maximum: 3)
        #expect(norms["weight"] == 5)
        assertClose(gradients.weight, Tensor(shape: [1, 2], scalars: [1.8, 2.4]), absolute: 1e-5)
        // The bias (norm 0.5) is untouched; a global-norm clip would have scaled it too.
        #expect(gradients.bias == Tensor([0.5]))
    }

    @Test func adamWOneStepByHandAndGroups() {
        #expect(isRegularized(name: "blocks.0.attn.qkv.weight", shape: [6, 2]))
        #expect(!isRegularized(name: "blocks.0.attn.qkv.bias", shape: [6]))
        #expect(!isRegularized(name: "norm.weight", shape: [2]))
        #expect(isRegularized(name: "pos_embed", shape: [1, 5, 2]))  // DINO decays cls_token and pos_embed
        var model = Linear(weight: Tensor(shape: [1, 1], scalars: [1]), bias: Tensor([1]))
        let gradients = Linear(weight: Tensor(shape: [1, 1], scalars: [0.5]), bias: Tensor([0.5]))
        var optimizer = AdamW()
        optimizer.step(&model, gradients: gradients, learningRate: 0.1, weightDecay: 0.5)
        // Bias (no decay): m̂ = 0.5, v̂ = 0.25 → 1 − 0.1·0.5/(0.5 + 1e-8).
        #expect(abs(model.bias!.scalars[0] - 0.9) < 1e-6)
        // Weight: decayed first, 1·(1 − 0.1·0.5) = 0.95, then the same Adam step.
        #expect(abs(model.weight.scalars[0] - 0.85) < 1e-6)
        optimizer.step(&model, gradients: gradients, learningRate: 0.1, weightDecay: 0, skipping: ["bias"])
        #expect(optimizer.steps == ["weight": 2, "bias": 1])
    }

    @Test func impossibleLossOptionsAreNamed() {
        var configuration = LossConfiguration(outputDimension: 8, cropCount: 4)
        configuration.teacherTemperature = 0
        #expect(throws: ConfigurationError("teacher temperatures must be positive, got 0.04 → 0.0")) { try DINOLoss(configuration, epochs: 2) }
        configuration = LossConfiguration(outputDimension: 8, cropCount: 4)
        configuration.centerMomentum = 1.5
        #expect(throws: ConfigurationError("center momentum must be in [0, 1], got 1.5")) { try DINOLoss(configuration, epochs: 2) }
        configuration = LossConfiguration(outputDimension: 8, cropCount: 4)
        configuration.warmupTeacherTemperatureEpochs = 30
        #expect(throws: ConfigurationError("teacher temperature warm-up of 30 epochs is longer than the run (10 epochs)")) { try DINOLoss(configuration, epochs: 10) }
        configuration = LossConfiguration(outputDimension: 8, cropCount: 4)
        configuration.globalCropCount = 1
        #expect(throws: ConfigurationError("DINO needs at least two global crops, got 1")) { try DINOLoss(configuration, epochs: 2) }
        #expect(throws: ConfigurationError("out_dim must be positive, got 0")) { try DINOLoss(LossConfiguration(outputDimension: 0, cropCount: 4), epochs: 2) }
    }

    @Test func collapseWarnings() {
        let uniform = Float(log(8.0))
        #expect(CollapseStatistics(teacherEntropy: 0.01, klDivergence: 0, meanDistributionEntropy: 0, uniformEntropy: uniform).collapseWarning?.contains("near 0") == true)
        #expect(CollapseStatistics(teacherEntropy: uniform, klDivergence: 0, meanDistributionEntropy: uniform, uniformEntropy: uniform).collapseWarning?.contains("near ln K") == true)
        #expect(CollapseStatistics(teacherEntropy: 1, klDivergence: 0.3, meanDistributionEntropy: 2, uniformEntropy: uniform).collapseWarning == nil)
    }

    @Test func teacherStartsAsACopyWithoutDropPath() {
        var rng = SeededGenerator(seed: 6)
        var pair = DINOViT(backbone: ViTConfiguration(imageSize: 4, patchSize: 2, channels: 1, dimension: 4, depth: 2, heads: 1, dropPathRate: 0.2),
                           head: HeadConfiguration(inputDimension: 4, outputDimension: 6, hiddenDimension: 5, bottleneckDimension: 3), using: &rng)
        #expect(pair.teacher.namedParameters.map(\.tensor) == pair.student.namedParameters.map(\.tensor))
        #expect(pair.teacher.backbone.blocks.map(\.dropPathRate) == [0, 0])
        #expect(pair.student.backbone.blocks.map(\.dropPathRate) == [0, 0.2])
        pair.student.head.mlp[0].weight.add(Tensor(shape: pair.student.head.mlp[0].weight.shape, repeating: 1))
        let before = pair.teacher.head.mlp[0].weight
        pair.updateTeacher(teacherMomentum: 0.75)
        assertClose(pair.teacher.head.mlp[0].weight, before + Tensor(shape: before.shape, repeating: 0.25), absolute: 1e-6)
    }
}

/// The paper's weighted k-NN evaluation (§3.2, after Wu et al.): the k most similar bank features vote
/// for their class with weight `exp(similarity / T)`.
@Suite struct WeightedKNNTests {
    /// Bank on the unit circle: (1, 0) class 0; (0.8, 0.6) and (0.6, 0.8) class 1; (0, 1) class 0. The
    /// query (1, 0) has similarities 1, 0.8, 0.6, 0 to them.
    let bank = Tensor(shape: [4, 2], scalars: [1, 0, 0.8, 0.6, 0.6, 0.8, 0, 1]), labels = [0, 1, 1, 0]
    let query = Tensor(shape: [1, 2], scalars: [1, 0])

    func predicted(k: Int, temperature: Float) -> Int? {
        // Scored against both labels: the one it gets 100% on is the prediction.
        (0..<2).first { label in
            KNNClassifier.evaluate(bank: bank, bankLabels: labels, queries: query, queryLabels: [label], classCount: 2, ks: [k],
                                   temperature: temperature)[k]?.top1 == 100
        }
    }

    @Test func closeNeighboursWeighMoreAtLowTemperature() {
        // k = 3, T = 0.07: class 0 gets e^(1/0.07) = e^14.3, class 1 gets e^11.4 + e^8.6: class 0 wins.
        #expect(predicted(k: 3, temperature: 0.07) == 0)
        // Negative control: at T = 10 the weights are nearly equal and the two class-1 neighbours win.
        #expect(predicted(k: 3, temperature: 10) == 1)
    }

    @Test func onlyTheKNearestVote() {
        #expect(predicted(k: 1, temperature: 10) == 0)
        // With all four voting at T = 10, class 0's two (1 and 0) nearly tie class 1's two (0.8, 0.6):
        // e^0.1 + e^0 = 2.105 against e^0.08 + e^0.06 = 2.145, so class 1.
        #expect(predicted(k: 4, temperature: 10) == 1)
        #expect(predicted(k: 2, temperature: 10) == 0, "k = 2: e^0.1 against e^0.08")
    }
}
