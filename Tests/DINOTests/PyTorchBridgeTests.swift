@testable import DINO
@testable import DINOTraining
import DINOTestSupport
import Foundation
import Testing

/// The book's PyTorch DINO (`Benchmarks/reference/dino_torch.py`, quoted by `book/pytorch-line-for-line.md`)
/// run on what the Swift trainer saw: the Swift side exports its configuration, initial weights and crops,
/// trains four steps (the learning rate's warm-up, the teacher temperature's warm-up, the last layer frozen
/// then free, clipping that bites), and the script replays them, once alone and once under `torchrun` with
/// 2 processes (gloo, each half of every batch). Both must agree with Swift at the trace test's tolerance
/// (`DINOTraceTests.updateTolerance`). Runs where a Python with torch is found: `DINO_TORCH_PYTHON`
/// (`.ci/run` sets it from `Tools/torch-venv.sh`), else `python3` if it imports torch, timm and safetensors.
/// A Python that imports torch, timm and safetensors: `DINO_TORCH_PYTHON`, else `/usr/bin/python3` if it can.
let torchPython: String? = {
    let environment = ProcessInfo.processInfo.environment
    for candidate in [environment["DINO_TORCH_PYTHON"], "/usr/bin/python3"].compactMap({ $0 })
        where (try? PyTorchBridgeTests.run(candidate, ["-c", "import torch, timm, safetensors"], seconds: 120))?.status == 0 {
        return candidate
    }
    return nil
}()

@Suite(.enabled(if: torchPython != nil,
                "no Python with torch, timm and safetensors (export DINO_TORCH_PYTHON=$(Tools/torch-venv.sh | tail -1))"),
       .serialized)
struct PyTorchBridgeTests {
    static let script = Fixture.folder.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Benchmarks/reference/dino_torch.py").path

    /// Runs `executable arguments`, stopped after `seconds`: its status (−1: timed out) and the end of its
    /// standard error. Output is discarded and errors go to a file, never to this process's own streams: a
    /// rank left running would hold them open, and `swift test` waits for them to close.
    static func run(_ executable: String, _ arguments: [String], seconds: Double) throws -> (status: Int32, errors: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("dino-bridge-errors-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let process = try ChildProcess(executable, arguments, environment: ["OMP_NUM_THREADS": "1"], error: try FileHandle(forWritingTo: log))
        let status = process.wait(seconds: seconds) ? process.process.terminationStatus : -1
        return (status, String(((try? String(contentsOf: log, encoding: .utf8)) ?? "").suffix(3000)))
    }

    static let (batch, steps, stepsPerEpoch) = (4, 4, 2)

    /// The Swift trainer of the exported configuration and the configuration as the script's options.
    func trainer(folder: URL) throws -> (DINOTrainer, [String: Any]) {
        var c = TrainingConfiguration()
        c.dataset = "synthetic"
        (c.backbone.patchSize, c.backbone.depth, c.backbone.dropPathRate) = (4, 2, 0)
        (c.globalCropSize, c.augmentation.localCropSize, c.augmentation.localCropsNumber) = (8, 4, 2)
        (c.head.outputDimension, c.head.hiddenDimension, c.head.bottleneckDimension) = (24, 32, 8)
        (c.batchSize, c.epochs, c.warmupEpochs, c.freezeLastLayer, c.gradientClip) = (Self.batch, 2, 1, 1, 0.3)
        (c.learningRate, c.finalLearningRate, c.weightDecay, c.finalWeightDecay, c.teacherMomentum) = (0.04, 1e-3, 0.04, 0.4, 0.99)
        (c.loss.warmupTeacherTemperature, c.loss.teacherTemperature, c.loss.warmupTeacherTemperatureEpochs) = (0.04, 0.07, 2)
        c.outputDir = folder.appendingPathComponent("run").path
        let images = ImageDataset(pixels: [Float](repeating: 0.5, count: Self.batch * Self.stepsPerEpoch * 64),
                                  labels: Array(repeating: 0, count: Self.batch * Self.stepsPerEpoch),
                                  classNames: ["a"], channels: 1, height: 8, width: 8)
        let trainer = try DINOTrainer(configuration: c, train: images, test: images, bank: images, quiet: true)
        var rng = SeededGenerator(seed: 7)
        let backbone = ViTConfiguration(imageSize: 8, patchSize: 4, channels: 1, dimension: 16, depth: 2, heads: 2, dropPathRate: 0)
        var head = c.head
        head.inputDimension = backbone.dimension
        let student = BackboneWithHead(backbone: VisionTransformer(backbone, using: &rng), head: DINOHead(head, using: &rng))
        trainer.model = DINOViT(student: student, teacher: student)
        let options: [String: Any] = [
            "image_size": 8, "patch_size": 4, "dim": 16, "depth": 2, "heads": 2, "out_dim": 24, "hidden_dim": 32, "bottleneck_dim": 8,
            "local_size": 4, "local_crops": 2, "batch_size": Self.batch, "epochs": c.epochs, "warmup_epochs": c.warmupEpochs,
            "freeze_last_layer": c.freezeLastLayer, "clip_grad": Double(c.gradientClip), "lr": c.learningRate, "min_lr": c.finalLearningRate,
            "weight_decay": c.weightDecay, "weight_decay_end": c.finalWeightDecay, "momentum_teacher": c.teacherMomentum,
            "teacher_temp": Double(c.loss.teacherTemperature), "warmup_teacher_temp": Double(c.loss.warmupTeacherTemperature),
            "warmup_teacher_temp_epochs": c.loss.warmupTeacherTemperatureEpochs, "student_temp": Double(c.loss.studentTemperature),
            "center_momentum": Double(c.loss.centerMomentum), "drop_path_rate": 0.0, "norm_last_layer": c.head.normLastLayer,
            "steps": Self.steps, "steps_per_epoch": Self.stepsPerEpoch,
        ]
        return (trainer, options)
    }

    @Test func theBooksPyTorchScriptTrainsAsTheSwiftTrainerAloneAndOnTwoProcesses() throws {
        let python = try #require(torchPython)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dino-bridge-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (trainer, options) = try trainer(folder: folder)
        let initial = Dictionary(uniqueKeysWithValues: trainer.model.student.namedParameters)
        var exported = initial.map { (name: "init." + $0.key, tensor: $0.value) }

        // Swift: four steps on random crops, everything after each step kept.
        var rng = SeededGenerator(seed: 11)
        var swift = [(loss: Double, schedule: [Double], center: Tensor, parameters: [(name: String, tensor: Tensor)])]()
        for step in 0..<Self.steps {
            let crops = [8, 8, 4, 4].map { Tensor.normal([Self.batch, 1, $0, $0], using: &rng) }
            exported += crops.enumerated().map { (name: "step\(step).crop\($0.offset)", tensor: $0.element) }
            (trainer.state.epoch, trainer.state.iteration) = (step / Self.stepsPerEpoch, step)
            let values = try trainer.trainStep(CropBatch(crops: crops, indices: Array(0..<Self.batch)))
            swift.append((values["loss"] ?? .nan, ["lr", "weight_decay", "teacher_momentum", "teacher_temperature"].map { values[$0] ?? .nan },
                          trainer.criterion.center.value, DINOTraceTests.parameters(of: trainer.model)))
        }
        let exportURL = folder.appendingPathComponent("bridge.safetensors")
        try SafeTensors.write(exported, metadata: ["configuration": try Self.json(options)], to: exportURL)

        let launches: [(label: String, arguments: [String])] = [
            ("one process", [Self.script]),
            ("torchrun, 2 processes", ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", Self.script]),
        ]
        for (label, launch) in launches {
            let torch = try Self.replay(python, launch, exportURL, label: label, folder: folder)
            var learningRateSum: Float = 0, worstShare: Float = 0
            for (step, ours) in swift.enumerated() {
                let prefix = "step\(step)."
                let theirs = { (name: String) throws -> Tensor in try #require(torch[prefix + name], "\(label): no \(prefix + name)") }
                learningRateSum += Float(ours.schedule[0])
                assertClose(Tensor(ours.schedule.map(Float.init)), try theirs("schedule"), absolute: 1e-9, relative: 1e-6, "\(label) \(prefix)schedule")
                assertClose(Tensor([Float(ours.loss)]), try theirs("loss"), absolute: 1e-5, relative: 1e-5, "\(label) \(prefix)loss")
                assertClose(ours.center, try theirs("center"), absolute: 1e-6, relative: 1e-4, "\(label) \(prefix)center")
                let worst = try DINOTraceTests.expectNetworksMatch(ours.parameters, expected: theirs, initial: initial,
                                                                   learningRateSum: learningRateSum, label: "\(label) \(prefix)")
                worstShare = max(worstShare, worst)
            }
            if ProcessInfo.processInfo.environment["DINO_TRACE_REPORT"] != nil {
                print("bridge, \(label): the worst update used \(worstShare) of its bound")
            }
        }

        // Negative control: the script told to clip at 3 (no clipping here) instead of 0.3 moves the
        // student otherwise, and the comparison sees it: the clip bites, and the test would see it missing.
        var unclipped = options
        unclipped["clip_grad"] = 3.0
        let controlURL = folder.appendingPathComponent("control.safetensors")
        try SafeTensors.write(exported, metadata: ["configuration": try Self.json(unclipped)], to: controlURL)
        let control = try Self.replay(python, [Self.script], controlURL, label: "control", folder: folder)
        let last = "step\(Self.steps - 1)."
        let learningRateSum = swift.reduce(Float(0)) { $0 + Float($1.schedule[0]) }
        let moved = try swift[Self.steps - 1].parameters.filter { $0.name.hasPrefix("student.") }.reduce(0) { count, parameter in
            let start = try #require(initial[String(parameter.name.dropFirst("student.".count))])
            let expected = try #require(control[last + parameter.name])
            return count + DINOTraceTests.updateFailures(parameter.tensor, expected, from: start, learningRateSum: learningRateSum).failures
        }
        #expect(moved > 0, "without clipping the script should have moved the student otherwise")
    }

    /// Runs the book's script on an export, `launch` being how Python starts it; returns what it wrote.
    static func replay(_ python: String, _ launch: [String], _ export: URL, label: String, folder: URL) throws -> [String: Tensor] {
        let output = folder.appendingPathComponent("torch-\(UUID().uuidString).safetensors")
        let (status, errors) = try run(python, launch + ["--replay", export.path, "--output", output.path], seconds: 300)
        try #require(status == 0, "\(label): the script exited with \(status) (-1: still running after 300 s):\n\(errors)")
        return try SafeTensors.read(output)
    }

    static func json(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: .sortedKeys), as: UTF8.self)
    }
}
