import DINO
import DINOTraining
import DINOTestSupport
import Foundation
import Testing

/// A trainer small enough for a debug build on synthetic images.
func tinyTrainer(_ change: (inout TrainingConfiguration) -> Void = { _ in }, train: ImageDataset? = nil, folder: URL? = nil, resume: Bool = false) throws -> DINOTrainer {
    var c = TrainingConfiguration()
    c.dataset = "synthetic"
    (c.backbone.depth, c.backbone.patchSize) = (1, 8)
    (c.head.outputDimension, c.head.hiddenDimension, c.head.bottleneckDimension) = (32, 16, 8)
    (c.globalCropSize, c.augmentation.localCropSize, c.augmentation.localCropsNumber) = (16, 8, 2)
    (c.batchSize, c.epochs, c.warmupEpochs, c.knnK, c.evalEvery) = (8, 2, 1, [5], 0)
    c.outputDir = (folder ?? temporaryFolder()).path
    change(&c)
    let data = train ?? SyntheticShapes.make(count: 16, size: 16, seed: 0)
    let checkpoint = URL(fileURLWithPath: c.outputDir).appendingPathComponent("checkpoint.safetensors")
    return try DINOTrainer(configuration: c, train: data, test: data, bank: data, resume: resume ? checkpoint : nil, quiet: true)
}

@Suite(.fastPath) struct TrainerTests {
    @Test func impossibleOptionsAreNamed() {
        let cases: [((inout TrainingConfiguration) -> Void, String)] = [
            ({ $0.batchSize = 0 }, "batch size must be positive, got 0"),
            ({ $0.warmupEpochs = 5 }, "learning-rate warm-up of 5 epochs is longer than the run (2 epochs)"),
            ({ $0.augmentation.localCropSize = 4 }, "local crop size 4 must be a positive multiple of the patch size 8"),
            ({ $0.dataset = "imagenet" }, "unknown dataset 'imagenet'"),
            ({ $0.dataset = "folder" }, "--dataset folder needs --data-path"),
            ({ $0.head.outputDimension = 0 }, "out_dim"),
            ({ $0.loss.teacherTemperature = -1 }, "teacher temperatures must be positive"),
            ({ $0.teacherMomentum = 2 }, "momentum-teacher must be in [0, 1], got 2.0"),
            ({ $0.augmentation.localCropsScale = [0.5, 0.2] }, "local-crops-scale [0.5, 0.2] must be two numbers 0 < min ≤ max ≤ 1"),
            ({ $0.architecture = "vit_huge" }, "unknown architecture 'vit_huge'"),
            ({ $0.compute.threads = 0 }, "threads must be at least 1, got 0"),
        ]
        for (change, fragment) in cases {
            expectMessage([fragment]) { _ = try tinyTrainer(change) }
        }
        expectMessage(["images are 16×16 but the global crops are 24²"]) { _ = try tinyTrainer { $0.globalCropSize = 24 } }
        expectMessage(["fewer than one batch of 32"]) { _ = try tinyTrainer { $0.batchSize = 32 } }
        expectMessage(["unknown preset 'fast'"]) { _ = try TrainingConfiguration.preset("fast") }
    }

    @Test func presetsAreValid() throws {
        for name in ["quick", "b1", "fashion"] { try TrainingConfiguration.preset(name).validate() }
        let b1 = try TrainingConfiguration.preset("b1")
        let fields: [Int] = [b1.backbone.depth, b1.backbone.patchSize, b1.head.outputDimension, b1.augmentation.localCropsNumber, b1.trainSubset ?? 0, b1.epochs, b1.warmupEpochs]
        #expect(fields == [6, 4, 4096, 6, 7680, 10, 1])
        // The study's best recipe: the B1 model with 7-pixel patches and four blocks, batch 32, the whole training set
        // for 37 epochs, λ from 0.99, K = 1024, no blur.
        let fashion = try TrainingConfiguration.preset("fashion")
        #expect(fashion.backbone.patchSize == 7 && fashion.backbone.depth == 4 && fashion.augmentation.localCropSize == 14)
        #expect(fashion.batchSize == 32 && fashion.trainSubset == nil && fashion.epochs == 37)
        #expect(fashion.teacherMomentum == 0.99 && fashion.head.outputDimension == 1024 && fashion.augmentation.blurProbabilities == [0, 0, 0])
    }

    @Test func aStepGivesTheSameBitsOnOneAndTwoThreads() throws {
        let (one, two) = (try tinyTrainer(), try tinyTrainer())
        let initial = one.model
        let batch = one.loader.batch(epoch: 0, index: 0, order: one.loader.order(epoch: 0))
        _ = try ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 1)) { try one.trainStep(batch) }
        _ = try ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 2)) { try two.trainStep(batch) }
        #expect(one.model != initial)  // the step changed the weights...
        #expect(one.model == two.model)  // ...identically: fixed chunks, whatever the number of threads
    }

    @Test func aNonFiniteInputStopsTheRunAndSaysWhere() throws {
        var data = SyntheticShapes.make(count: 16, size: 16, seed: 0)
        data.pixels[256 * 3 + 16 * 2 + 5] = .nan
        expectMessage(["the training images contain a non-finite value (nan) at image 3, channel 0, row 2, column 5"]) {
            _ = try tinyTrainer(train: data)
        }
        // Crops that reach the step some other way are checked too, before any computation.
        let trainer = try tinyTrainer()
        var batch = trainer.loader.batch(epoch: 0, index: 0, order: trainer.loader.order(epoch: 0))
        var crops = batch.crops
        crops[3].scalars[64 + 10] = .infinity                                      // local crop 3, second image of the batch
        batch = CropBatch(crops: crops, indices: batch.indices)
        expectMessage(["non-finite value at step 0", "the input: local crop 3 (1×8×8) of dataset image \(batch.indices[1]) is inf",
                       "no checkpoint had been written yet"]) { _ = try trainer.trainStep(batch) }
    }

    @Test func aNonFiniteLossStopsTheRunAndKeepsTheLastCheckpoint() throws {
        let folder = temporaryFolder()
        try tinyTrainer(folder: folder).saveCheckpoint(numbered: false)
        // A checkpoint whose teacher has an infinite weight: the teacher's output, and so the loss, is NaN.
        let url = folder.appendingPathComponent("checkpoint.safetensors")
        var tensors = try SafeTensors.decode(Data(contentsOf: url), file: url)
        let poisoned = try #require(tensors.firstIndex { $0.0 == "teacher.head.last_layer.weight_v" })
        tensors[poisoned].1.scalars[0] = .infinity
        // Its checksum recomputed, so the file verifies: the run must stop on the loss, not on the file.
        var metadata = try SafeTensors.readMetadata(url)
        var checksums = try JSONDecoder().decode([String: String].self, from: Data((metadata[Checkpoint.checksumKey] ?? "{}").utf8))
        checksums["teacher.head.last_layer.weight_v"] = String(CRC32C.checksum(tensors[poisoned].1), radix: 16)
        metadata[Checkpoint.checksumKey] = String(decoding: try JSONEncoder().encode(checksums), as: UTF8.self)
        try SafeTensors.write(tensors.map { (name: $0.0, tensor: $0.1) }, metadata: metadata, to: url)
        let saved = try Data(contentsOf: url)
        let trainer = try tinyTrainer(folder: folder, resume: true)
        expectMessage(["non-finite value at step 0", "the loss is nan", "the last good checkpoint is kept at \(url.path)"]) { try trainer.fit() }
        #expect(try Data(contentsOf: url) == saved)
    }

    @Test func aCheckpointFromAnotherArchitectureNamesTheParameter() throws {
        let folder = temporaryFolder()
        let trainer = try tinyTrainer(folder: folder)
        try trainer.saveCheckpoint(numbered: false)
        expectMessage([trainer.checkpointURL.path, "was written for another model", "student parameter backbone.blocks.1.norm1.weight is missing"]) {
            _ = try tinyTrainer({ $0.backbone.depth = 2 }, folder: folder, resume: true)
        }
        expectMessage(["student parameter head.last_layer.weight_g has shape [32, 1], the model expects [16, 1]"]) {
            _ = try tinyTrainer({ $0.head.outputDimension = 16 }, folder: folder, resume: true)
        }
    }

    @Test func aFullDiskLeavesThePreviousCheckpointIntact() throws {
        let folder = temporaryFolder()
        let trainer = try tinyTrainer(folder: folder)
        try trainer.saveCheckpoint(numbered: false)
        let before = try Data(contentsOf: trainer.checkpointURL)
        // The temporary file's name points at /dev/full: every write fails with "No space left on device".
        let temporary = folder.appendingPathComponent(".checkpoint.safetensors.tmp-\(getpid())")
        try FileManager.default.createSymbolicLink(atPath: temporary.path, withDestinationPath: "/dev/full")
        expectMessage([trainer.checkpointURL.path, "No space left on device", "previous file is unchanged"]) { try trainer.saveCheckpoint(numbered: false) }
        #expect(try Data(contentsOf: trainer.checkpointURL) == before)
        #expect(!FileManager.default.fileExists(atPath: temporary.path))
    }

    @Test func trainingWritesItsFilesAndTheTeacherLoadsByName() throws {
        let trainer = try tinyTrainer { $0.epochs = 1 }
        try trainer.fit()
        for file in ["checkpoint.safetensors", "teacher_backbone.safetensors", "metrics.jsonl", "loss.svg", "knn.svg", "knn-time.svg", "monitor.svg", "attention.png"] {
            #expect(FileManager.default.fileExists(atPath: trainer.log.folder.appendingPathComponent(file).path), "\(file)")
        }
        var backbone = trainer.model.teacher.backbone
        backbone.visitParameters(prefix: "") { _, t in t = Tensor(zeros: t.shape) }
        try backbone.load(safetensors: trainer.log.folder.appendingPathComponent("teacher_backbone.safetensors"))
        #expect(backbone == trainer.model.teacher.backbone)
        let epochLines = try String(contentsOf: trainer.log.folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").filter { $0.contains("\"type\":\"epoch\"") }
        #expect(epochLines.count == 1 && epochLines[0].contains("knn_top1") && epochLines[0].contains("validation_loss"))
    }

    @Test func aResumedLogKeepsTheEarlierRecordsForItsCharts() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dino-log-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try TrainingLog(folder: folder, quiet: true)
        try first.baselines(["baseline_raw_pixels": 85.5])
        try first.epoch(["epoch": 1, "knn_top1": 60, "elapsed_seconds": 120])
        // A kill in the middle of a line: the resumed log skips it.
        let handle = try FileHandle(forWritingTo: folder.appendingPathComponent("metrics.jsonl"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"type\":\"epo".utf8))
        try handle.close()
        let resumed = try TrainingLog(folder: folder, quiet: true)
        #expect(resumed.epochs.count == 1 && resumed.epochs.first?["knn_top1"] == 60, "expected the first epoch's record, got \(resumed.epochs)")
        #expect(resumed.rawPixelsAccuracy == 85.5, "expected the raw pixels' 85.5, got \(String(describing: resumed.rawPixelsAccuracy))")
        // The next record starts a line of its own, so that a third log reads both epochs.
        try resumed.epoch(["epoch": 2, "knn_top1": 62, "elapsed_seconds": 240])
        let third = try TrainingLog(folder: folder, quiet: true)
        #expect(third.epochs.map { $0["epoch"] ?? 0 } == [1, 2], "expected epochs 1 and 2, got \(third.epochs)")
        // Negative control: a new folder starts empty.
        let fresh = try TrainingLog(folder: folder.appendingPathComponent("other"), quiet: true)
        #expect(fresh.epochs.isEmpty && fresh.rawPixelsAccuracy == nil, "expected nothing in a new folder, got \(fresh.epochs)")
    }

    @Test func aRunResumedFromAnEarlierCheckpointLogsEachStepOnce() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let change: (inout TrainingConfiguration) -> Void = { $0.numberedCheckpointEvery = 1 }
        try tinyTrainer(change, folder: folder).fit()  // 2 epochs of 2 steps
        let iterations = { (kind: String) throws -> [Double] in
            try String(contentsOf: folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
                .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .filter { $0["type"] as? String == kind }.compactMap { ($0["iteration"] as? NSNumber)?.doubleValue }
        }
        #expect(try iterations("step") == [1, 2, 3, 4])
        // Back to the end of epoch 1, as after a kill during epoch 2: its steps are dropped, then logged again once.
        let checkpoint = folder.appendingPathComponent("checkpoint.safetensors")
        try FileManager.default.removeItem(at: checkpoint)
        try FileManager.default.copyItem(at: folder.appendingPathComponent("checkpoint0001.safetensors"), to: checkpoint)
        let resumed = try tinyTrainer(change, folder: folder, resume: true)
        #expect(try iterations("step") == [1, 2] && iterations("epoch") == [2], "expected epoch 1's records only")
        #expect(resumed.log.epochs.count == 1)
        try resumed.fit()
        #expect(try iterations("step") == [1, 2, 3, 4] && iterations("epoch") == [2, 4])
        // Negative control: a log opened without a resume point keeps every record.
        _ = try TrainingLog(folder: folder, quiet: true)
        #expect(try iterations("step") == [1, 2, 3, 4])
    }

    @Test func theLastLayerIsFrozenDuringTheFirstEpoch() throws {
        let trainer = try tinyTrainer()
        let before = trainer.model.student.head.lastLayer
        let batch = trainer.loader.batch(epoch: 0, index: 0, order: trainer.loader.order(epoch: 0))
        trainer.state.iteration = 1  // past iteration 0, where the warm-up's learning rate is exactly 0
        _ = try trainer.trainStep(batch)
        #expect(trainer.model.student.head.lastLayer == before)
        trainer.state.epoch = 1
        _ = try trainer.trainStep(batch)
        #expect(trainer.model.student.head.lastLayer.direction != before.direction)
        #expect(trainer.model.student.head.lastLayer.magnitude == before.magnitude)  // g stays 1: norm_last_layer
    }
}
