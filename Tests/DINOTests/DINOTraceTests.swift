@testable import DINO
@testable import DINOTraining
import DINOTestSupport
import Foundation
import Testing

/// Three full training steps against PyTorch, timm and lightly (`Tests/Fixtures/make_dino_trace.py`):
/// student and teacher ViT, head, multi-crop loss with its centre, per-parameter clipping, AdamW with
/// DINO's two parameter groups and the last layer frozen in epoch 0, the EMA teacher, the schedules.
/// The Swift side is `DINOTrainer.trainStep`, the step `ch09-trainer train` runs, on both paths.
/// Each parameter is held by its *update* (after − initial), not its value: a LayerNorm weight near 1
/// moves by about the learning rate in three AdamW steps, so a tolerance relative to the weight (1e-3 of
/// 1) would let most of its move go unchecked. `updateTolerance` says what was measured and allowed.
@Suite struct DINOTraceTests {
    let data: Fixture
    init() throws { data = try Fixture("dino_trace") }

    /// The trainer of the fixture's configuration, its model replaced by the fixture's initial weights.
    func trainer() throws -> DINOTrainer {
        var c = TrainingConfiguration()
        c.dataset = "synthetic"
        (c.backbone.patchSize, c.backbone.depth, c.backbone.dropPathRate) = (4, 2, 0)
        (c.globalCropSize, c.augmentation.localCropSize, c.augmentation.localCropsNumber) = (8, 4, 2)
        (c.head.outputDimension, c.head.hiddenDimension, c.head.bottleneckDimension) = (24, 32, 8)
        (c.batchSize, c.epochs, c.warmupEpochs, c.freezeLastLayer, c.gradientClip) = (3, 2, 0, 1, 3)
        (c.learningRate, c.finalLearningRate, c.weightDecay, c.finalWeightDecay, c.teacherMomentum) = (0.04, 1e-3, 0.04, 0.4, 0.99)
        c.outputDir = FileManager.default.temporaryDirectory.appendingPathComponent("dino-trace-\(getpid())-\(UUID().uuidString)").path
        // Six images of 8²: two batches of three per epoch, as the fixture's schedules assume.
        let images = ImageDataset(pixels: [Float](repeating: 0.5, count: 6 * 64), labels: [0, 1, 0, 1, 0, 1],
                                  classNames: ["a", "b"], channels: 1, height: 8, width: 8)
        let trainer = try DINOTrainer(configuration: c, train: images, test: images, bank: images, quiet: true)
        var rng = SeededGenerator(seed: 0)
        let backbone = ViTConfiguration(imageSize: 8, patchSize: 4, channels: 1, dimension: 16, depth: 2, heads: 2, dropPathRate: 0)
        var head = c.head
        head.inputDimension = backbone.dimension  // the fixture's 16-d backbone is none of the named architectures
        var student = BackboneWithHead(backbone: VisionTransformer(backbone, using: &rng), head: DINOHead(head, using: &rng))
        try student.load(initialWeights())
        trainer.model = DINOViT(student: student, teacher: student)
        return trainer
    }

    /// Every update within `relative` of PyTorch's update, plus a floor: `floorPerLearningRate` times
    /// the sum of the learning rates so far, plus two float32 spacings of the value itself (a teacher weight
    /// near 1 that moves by 5e-6 cannot be resolved finer than 1.2e-7). The floor is for elements whose
    /// gradient is near AdamW's ε: the first step moves an element by lr·g/(|g| + ε), which for |g| ≈ 20ε
    /// turns the gradient's last bits into a visible part of lr (this fixture's `blocks.0.attn.proj.weight`
    /// element 54 moves by 0.95 lr, and the two sides differ there by 7.2e-3 lr). Measured on the 2-core
    /// Zen 4 with the fixture the book's script wrote on 2026-12-06, under nine OpenBLAS kernels
    /// (`OPENBLAS_CORETYPE` = Haswell, SkylakeX, Cooperlake, Zen, Sandybridge, Nehalem, Core2, Atom,
    /// Prescott) and `DINO_KERNELS=generic`: the worst element used 0.72 of its bound on the reference
    /// path (that element), 0.45 on the fast path (Haswell and Zen); every other element is held by the
    /// relative part to 1e-4 of its move (`DINO_TRACE_REPORT=1` prints the share).
    static let updateTolerance = (relative: Float(1e-4), floorPerLearningRate: Float(1e-2))

    /// The elements of `actual` whose move from `start` differs from `expected`'s by more than
    /// `updateTolerance` allows, and the largest share of its bound any element used.
    static func updateFailures(_ actual: Tensor, _ expected: Tensor, from start: Tensor, learningRateSum: Float)
        -> (failures: Int, worst: Float, example: String) {
        var (failures, worst, example): (Int, Float, String) = (0, 0, "")
        for index in 0..<actual.count {
            let (moved, expectedMove) = (actual.scalars[index] - start.scalars[index], expected.scalars[index] - start.scalars[index])
            let floor = updateTolerance.floorPerLearningRate * learningRateSum + 2 * max(start.scalars[index].ulp, expected.scalars[index].ulp)
            let share = abs(moved - expectedMove) / (updateTolerance.relative * abs(expectedMove) + floor)
            if share > worst { (worst, example) = (share, "element \(index) moved \(moved), PyTorch's \(expectedMove)") }
            if !(share <= 1) { failures += 1 }
        }
        return (failures, worst, example)
    }

    /// Every parameter of the student and the teacher, named `student.NAME` and `teacher.NAME`.
    static func parameters(of model: DINOViT) -> [(name: String, tensor: Tensor)] {
        model.student.namedParameters.map { ("student." + $0.name, $0.tensor) } + model.teacher.namedParameters.map { ("teacher." + $0.name, $0.tensor) }
    }

    /// Expects every parameter (`student.NAME`, `teacher.NAME`) to have moved from `initial[NAME]` as the
    /// reference's did (`expected(role.NAME)`), within `updateTolerance`; returns the largest share of its
    /// bound any element used.
    static func expectNetworksMatch(_ parameters: [(name: String, tensor: Tensor)], expected: (String) throws -> Tensor,
                                    initial: [String: Tensor], learningRateSum: Float, label: String) throws -> Float {
        var worstShare: Float = 0
        for (fullName, value) in parameters {
            let role = String(fullName.prefix { $0 != "." }), name = String(fullName.drop { $0 != "." }.dropFirst())
            var expected = try expected(fullName)
            var actual = value
            // The key third of `qkv.bias` has an exactly zero gradient (softmax ignores a constant
            // added to every score): both sides hand AdamW rounding noise, which its first step turns
            // into a move of ±lr. Those elements are held to the learning rates instead.
            if name.hasSuffix("attn.qkv.bias") {
                let bound = (role == "student" ? 2 : 0.05) * learningRateSum  // the teacher follows by 1 − λ ≤ 1%
                let third = actual.count / 3
                for element in third..<2 * third {
                    #expect(abs(actual.scalars[element] - expected.scalars[element]) <= bound, "\(label) \(role).\(name)[\(element)]")
                    (actual.scalars[element], expected.scalars[element]) = (0, 0)
                }
            }
            let start = try #require(initial[name], "no initial value of \(name)")
            let (failures, worst, example) = updateFailures(actual, expected, from: start, learningRateSum: learningRateSum)
            worstShare = max(worstShare, worst)
            #expect(failures == 0, "\(label) \(role).\(name): \(failures) elements moved unlike PyTorch's; worst: \(example)")
        }
        return worstShare
    }

    func initialWeights() throws -> [String: Tensor] {
        data.tensors.filter { $0.key.hasPrefix("init.") }.reduce(into: [:]) { $0[String($1.key.dropFirst("init.".count))] = $1.value }
    }

    @Test(arguments: ComputePath.allCases)
    func threeStepsAgreeWithPyTorch(path: ComputePath) throws {
        let trainer = try trainer()
        let initial = try initialWeights()
        var learningRateSum: Float = 0, worstShare: Float = 0
        for step in 0..<3 {
            let prefix = "step\(step)."
            let schedule = try data[prefix + "schedule"].scalars
            learningRateSum += schedule[0]
            trainer.state.epoch = Int(schedule[3])
            trainer.state.iteration = step
            let crops = try (0..<4).map { try data[prefix + "crop\($0)"] }
            let values = try ComputeSettings.$current.withValue(ComputeSettings.current.with(path: path)) { try trainer.trainStep(CropBatch(crops: crops, indices: [0, 1, 2])) }
            // The schedules are the reference's, step by step.
            assertClose(Tensor([Float(values["lr"] ?? 0), Float(values["weight_decay"] ?? 0), Float(values["teacher_momentum"] ?? 0)]),
                        Tensor(Array(schedule[0..<3])), absolute: 1e-9, relative: 1e-6, "\(prefix)schedule")
            assertClose(Tensor([Float(values["loss"] ?? .nan)]), try data[prefix + "loss"], absolute: 1e-5, relative: 1e-5, "\(prefix)loss")
            assertClose(trainer.criterion.center.value, try data[prefix + "center"], absolute: 1e-6, relative: 1e-4, "\(prefix)center")
            let worst = try Self.expectNetworksMatch(Self.parameters(of: trainer.model), expected: { try data[prefix + $0] }, initial: initial,
                                                     learningRateSum: learningRateSum, label: "\(prefix) on the \(path) path")
            worstShare = max(worstShare, worst)
        }
        if ProcessInfo.processInfo.environment["DINO_TRACE_REPORT"] != nil {
            print("trace, \(path) path: the worst update used \(worstShare) of its bound")
        }
        // Negative control: a LayerNorm weight that moved half as far as PyTorch's is caught by its update,
        // though its value is within 1e-3 of the weight (the tolerance this test once had).
        let norm = "backbone.blocks.0.norm1.weight"
        let (start, expected) = (try #require(initial[norm]), try data["step2.student." + norm])
        let halfMoved = start + (expected - start) * 0.5
        #expect(compare(halfMoved, expected, absolute: 1e-5, relative: 1e-3).failures == 0, "the value tolerance would not see it")
        #expect(Self.updateFailures(halfMoved, expected, from: start, learningRateSum: learningRateSum).failures > 0)
        // Negative controls: the last layer did not move in epoch 0 and did in epoch 1; `g` never did.
        #expect(try data["step1.student.head.last_layer.weight_v"] == data["init.head.last_layer.weight_v"])
        #expect(try data["step2.student.head.last_layer.weight_v"] != data["step1.student.head.last_layer.weight_v"])
        #expect(trainer.model.student.head.lastLayer.magnitude == Tensor(shape: [24, 1], repeating: 1))
    }
}
