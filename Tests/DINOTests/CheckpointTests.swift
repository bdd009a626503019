@testable import DINO
@testable import DINOTraining
import DINOTestSupport
import CRC32CKernel
import Foundation
import Testing

/// Checkpoints are verified on load: each tensor against its CRC-32C, each optimiser moment against its
/// parameter's shape; a file written without checksums (elsewhere, or before they existed) still loads.
@Suite(.fastPath) struct CheckpointTests {
    @Test func crc32cByHand() {
        // The standard check value of CRC-32C, and the empty input.
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // Negative control: one changed byte changes the checksum.
        #expect(CRC32C.checksum(Array("123456780".utf8)) != 0xE306_9283)
    }

    @Test func theInstructionAndTheTableAgree() {
        // Lengths around the 8-byte words the instruction takes, and a checksum continued across two calls.
        var rng = SeededGenerator(seed: 3)
        let bytes = (0..<1000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        #expect(dino_crc32c_table(0, Array("123456789".utf8), 9) == 0xE306_9283)
        for count in [0, 1, 7, 8, 9, 15, 16, 17, 999, 1000] {
            let table = dino_crc32c_table(0, bytes, count), used = dino_crc32c(0, bytes, count)
            #expect(used == table, "\(count) bytes: expected \(table), got \(used)")
        }
        let whole = dino_crc32c(0, bytes, 1000)
        let continued = bytes.withUnsafeBytes { dino_crc32c(dino_crc32c(0, $0.baseAddress, 13), $0.baseAddress.map { $0 + 13 }, 987) }
        #expect(continued == whole)
    }

    /// A saved checkpoint of a tiny run, its bytes, and the offset where its tensor data starts.
    func savedCheckpoint() throws -> (trainer: DINOTrainer, url: URL, bytes: Data, dataStart: Int) {
        let trainer = try tinyTrainer()
        try trainer.saveCheckpoint(numbered: false)
        let bytes = try Data(contentsOf: trainer.checkpointURL)
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        return (trainer, trainer.checkpointURL, bytes, 8 + headerLength)
    }

    func load(_ trainer: DINOTrainer, _ url: URL) throws {
        var (model, optimizer, loss) = (trainer.model, trainer.optimizer, trainer.criterion)
        _ = try Checkpoint.load(from: url, model: &model, optimizer: &optimizer, loss: &loss)
    }

    @Test func aChangedByteIsFoundAndTheTensorNamed() throws {
        let (trainer, url, bytes, dataStart) = try savedCheckpoint()
        try load(trainer, url)  // negative control: the file as written loads
        var changed = bytes
        let position = dataStart + (bytes.count - dataStart) / 2
        changed[position] ^= 0x01
        try changed.write(to: url)
        let error = #expect(throws: DataError.self) { try load(trainer, url) }
        #expect(error?.description.contains("is corrupt") == true, "\(String(describing: error))")
        #expect(error?.description.contains("tensor ") == true)
        // `features` reads through the same check.
        var backbone = trainer.model.teacher.backbone
        #expect(throws: DataError.self) { try Checkpoint.teacherBackbone(of: url, into: &backbone) }
    }

    @Test func aCheckpointWithoutChecksumsIsRefusedUnlessAllowed() throws {
        let (trainer, url, _, _) = try savedCheckpoint()
        var metadata = try SafeTensors.readMetadata(url)
        metadata[Checkpoint.checksumKey] = nil
        let tensors = try SafeTensors.read(url).sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) }
        try SafeTensors.write(tensors, metadata: metadata, to: url)
        expectMessage([url.path, "without its tensors' checksums", "--allow-unverified"]) { try load(trainer, url) }
        var backbone = trainer.model.teacher.backbone
        #expect(throws: DataError.self) { try Checkpoint.teacherBackbone(of: url, into: &backbone) }
        // Allowed, it loads; a file written elsewhere (no configuration: a timm export) loads unchecked as ever.
        var (model, optimizer, loss) = (trainer.model, trainer.optimizer, trainer.criterion)
        _ = try Checkpoint.load(from: url, model: &model, optimizer: &optimizer, loss: &loss, allowUnverified: true)
        try Checkpoint.teacherBackbone(of: url, into: &backbone, allowUnverified: true)
        metadata["configuration"] = nil
        try SafeTensors.write(tensors, metadata: metadata, to: url)
        #expect(try Checkpoint.verifiedTensors(url).count == tensors.count)
    }

    @Test func anOptimiserMomentOfTheWrongShapeIsNamed() throws {
        let (trainer, url, _, _) = try savedCheckpoint()
        var (model, optimizer, loss) = (trainer.model, trainer.optimizer, trainer.criterion)
        // Give the optimiser a step, then a moment one element short, and save it as a checkpoint would.
        let gradients = model.student
        optimizer.step(&model.student, gradients: gradients, learningRate: 1e-3, weightDecay: 0)
        optimizer.firstMoments["head.mlp.0.bias"] = Tensor(zeros: [15])
        try Checkpoint.save(model: model, optimizer: optimizer, loss: loss, state: trainer.state, configuration: trainer.configuration, to: url)
        let error = #expect(throws: DataError.self) {
            _ = try Checkpoint.load(from: url, model: &model, optimizer: &optimizer, loss: &loss)
        }
        #expect(error?.description.contains("optimizer.exp_avg.student.head.mlp.0.bias has shape [15]") == true, "\(String(describing: error))")
    }
}

/// The options nest the model's parts and store each value once; saved options are validated like the
/// command line's, and the flat format of earlier checkpoints still reads.
@Suite struct SavedConfigurationTests {
    @Test func theNestedPartsFollowWhatTheyDependOn() {
        var c = TrainingConfiguration()
        #expect(c.head.inputDimension == c.backbone.dimension && c.loss.outputDimension == c.head.outputDimension)
        c.architecture = "vit_small"
        #expect((c.backbone.dimension, c.backbone.heads, c.head.inputDimension) == (384, 6, 384))
        c.head.outputDimension = 77
        #expect(c.loss.outputDimension == 77)
        c.augmentation.localCropsNumber = 3
        #expect((c.loss.cropCount, c.augmentation.localCropsNumber) == (5, 3))
        c.globalCropSize = 32
        #expect(c.backbone.imageSize == 32)
    }

    func json(_ c: TrainingConfiguration) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(c), as: UTF8.self)
    }

    @Test func aHandEditedConfigurationThatDisagreesIsRefused() throws {
        let file = URL(fileURLWithPath: "/runs/x/checkpoint.safetensors")
        let c = TrainingConfiguration()
        #expect(try TrainingConfiguration.decoded(fromCheckpointJSON: try json(c), file: file) == c)  // negative control
        let edited = try json(c).replacingOccurrences(of: "\"inputDimension\":192", with: "\"inputDimension\":100")
        #expect(edited != (try json(c)))
        expectMessage([file.path, "saved configuration is impossible", "the head takes 100 features, the backbone gives 192"]) {
            _ = try TrainingConfiguration.decoded(fromCheckpointJSON: edited, file: file)
        }
        var zeroBatch = c
        zeroBatch.batchSize = 0
        expectMessage(["saved configuration is impossible: batch size must be positive, got 0"]) {
            _ = try TrainingConfiguration.decoded(fromCheckpointJSON: try json(zeroBatch), file: file)
        }
        expectMessage(["saved configuration cannot be read"]) {
            _ = try TrainingConfiguration.decoded(fromCheckpointJSON: "{\"backbone\": 3}", file: file)
        }
    }

    /// A configuration as checkpoints saved it before the nesting, every key as that version wrote it.
    static let flatJSON = """
        {"architecture":"vit_tiny","batchSize":64,"bottleneckDim":256,"centerMomentum":0.9,"channels":3,\
        "checkpointEveryIterations":0,"clipGrad":3,"dataset":"fashion-mnist","depth":4,"dropPathRate":0.1,"epochs":7,\
        "evalEvery":0,"evalTestSubset":2000,"evalTrainSubset":10000,"freezeLastLayer":1,"globalCropSize":28,\
        "globalCropsScale":[0.4,1],"headHiddenDim":2048,"knnK":[20],"knnTemperature":0.07,"localCropSize":12,\
        "localCropsNumber":6,"localCropsScale":[0.05,0.4],"lr":0.001,"minLr":1e-06,"momentumTeacher":0.99,\
        "normLastLayer":true,"outDim":4096,"outputDir":"runs/quick","patchSize":4,"saveckpFreq":0,"seed":0,\
        "studentTemperature":0.1,"teacherTemperature":0.04,"threads":2,"trainSubset":4096,"warmupEpochs":1,\
        "warmupTeacherTemperature":0.04,"warmupTeacherTemperatureEpochs":0,"weightDecay":0.04,"weightDecayEnd":0.4}
        """

    @Test func aCheckpointOfTheFlatFormatStillReads() throws {
        let file = URL(fileURLWithPath: "/runs/quick/checkpoint.safetensors")
        let c = try TrainingConfiguration.decoded(fromCheckpointJSON: Self.flatJSON, file: file)
        // The quick preset as that version saved it (the preset has changed since): the same options, nested.
        var quickThen = try TrainingConfiguration.preset("quick")
        (quickThen.trainSubset, quickThen.epochs, quickThen.batchSize, quickThen.head.outputDimension) = (4096, 7, 64, 4096)
        (quickThen.augmentation.blurProbabilities, quickThen.evalEvery, quickThen.compute.precision) = ([1, 0.1, 0.5], 0, .fp32)
        #expect(c == quickThen)
        #expect(c.backbone.channels == 1)  // the flat format's `channels` applied to folders only
        let missing = Self.flatJSON.replacingOccurrences(of: "\"lr\":0.001,", with: "")
        expectMessage([file.path, "saved configuration cannot be read", "lr"]) {
            _ = try TrainingConfiguration.decoded(fromCheckpointJSON: missing, file: file)
        }
    }

    /// A configuration as checkpoints saved it when the model's parts were nested but the augmentation and
    /// the compute settings were not (written by `ch09-trainer train --dataset synthetic` on 2026-12-06,
    /// before they were): crops and compute at the top level, the local crops counted in `loss.cropCount`.
    static let firstNestedJSON = """
        {"architecture":"vit_tiny","backbone":{"channels":1,"depth":1,"dimension":192,"dropPathRate":0.1,"heads":3,\
        "imageSize":16,"mlpRatio":4,"patchSize":4},"batchSize":32,"checkpointEveryIterations":0,\
        "dataset":"synthetic","epochs":1,"evalEvery":1,"evalTestSubset":32,"finalLearningRate":1e-06,\
        "finalWeightDecay":0.4,"freezeLastLayer":1,"globalCropsScale":[0.4,1],"gradientClip":3,\
        "head":{"bottleneckDimension":256,"hiddenDimension":2048,"inputDimension":192,"layerCount":3,\
        "normLastLayer":true,"outputDimension":64},"knnK":[10,20,100,200],"knnTemperature":0.07,\
        "learningRate":0.0005,"localCropSize":8,"localCropsScale":[0.05,0.4],"loss":{"centerMomentum":0.9,\
        "cropCount":4,"globalCropCount":2,"outputDimension":64,"studentTemperature":0.1,"teacherTemperature":0.04,\
        "warmupTeacherTemperature":0.04,"warmupTeacherTemperatureEpochs":0},"numberedCheckpointEvery":0,\
        "outputDir":"/tmp/tinyrun","seed":0,"teacherMomentum":0.996,"threads":2,"trainSubset":64,"warmupEpochs":0,\
        "weightDecay":0.04}
        """

    @Test func aCheckpointOfTheFirstNestedFormatStillReads() throws {
        let file = URL(fileURLWithPath: "/tmp/tinyrun/checkpoint.safetensors")
        var expected = TrainingConfiguration()
        (expected.dataset, expected.trainSubset, expected.evalTestSubset, expected.outputDir) = ("synthetic", 64, 32, "/tmp/tinyrun")
        (expected.backbone.depth, expected.backbone.imageSize, expected.backbone.patchSize, expected.head.outputDimension) = (1, 16, 4, 64)
        (expected.augmentation.localCropSize, expected.augmentation.localCropsNumber) = (8, 2)
        (expected.epochs, expected.batchSize, expected.warmupEpochs, expected.loss.warmupTeacherTemperatureEpochs) = (1, 32, 0, 0)
        #expect(try TrainingConfiguration.decoded(fromCheckpointJSON: Self.firstNestedJSON, file: file) == expected)
        // The options that version wrote only when changed, and the compute settings, land in their new places.
        let changed = Self.firstNestedJSON.replacingOccurrences(of: "\"threads\":2,", with:
            "\"threads\":1,\"path\":\"reference\",\"blurProbabilities\":[0,0,0],\"colorJitterStrength\":0.5,")
        (expected.compute.threads, expected.compute.path) = (1, .reference)
        (expected.augmentation.blurProbabilities, expected.augmentation.colorJitterStrength) = ([0, 0, 0], 0.5)
        #expect(try TrainingConfiguration.decoded(fromCheckpointJSON: changed, file: file) == expected)
        // Negative control: a configuration of the current layout with an augmentation field missing is refused.
        let current = try json(expected).replacingOccurrences(of: "\"localCropSize\":8,", with: "")
        expectMessage([file.path, "saved configuration cannot be read", "localCropSize"]) {
            _ = try TrainingConfiguration.decoded(fromCheckpointJSON: current, file: file)
        }
    }

    @Test func aSavedPositionOutsideTheRunIsRefused() throws {
        var state = TrainingState()
        try state.validate(epochs: 2, batchesPerEpoch: 3)  // negative control: the start of a run
        (state.epoch, state.batch, state.iteration) = (2, 0, 6)
        try state.validate(epochs: 2, batchesPerEpoch: 3)  // and its end
        let cases: [(epoch: Int, batch: Int, iteration: Int, message: String)] = [
            (-1, 0, 0, "the saved epoch -1 is outside the run's 0…2"),
            (3, 0, 9, "the saved epoch 3 is outside the run's 0…2"),
            (1, 3, 6, "the saved batch 3 is outside epoch 1's 0…2"),
            (2, 1, 7, "the saved batch 1 is outside epoch 2's 0…2"),
            (1, 1, 99, "the saved iteration 99 is not epoch 1 × 3 batches + batch 1"),
            (Int.max, 0, 0, "the saved epoch \(Int.max) is outside"),
        ]
        for (epoch, batch, iteration, message) in cases {
            (state.epoch, state.batch, state.iteration) = (epoch, batch, iteration)
            expectMessage([message]) { try state.validate(epochs: 2, batchesPerEpoch: 3) }
        }
    }
}

/// A diverged model is never written over the last good checkpoint, and a diverged backbone is not
/// evaluated.
@Suite(.fastPath) struct LastGoodCheckpointTests {
    @Test(arguments: [Float.nan, 2e5, -Float.infinity])
    func aDivergedWeightIsNotSaved(value: Float) throws {
        let trainer = try tinyTrainer()
        try trainer.saveCheckpoint(numbered: false)  // negative control: a sane model saves
        let saved = try Data(contentsOf: trainer.checkpointURL)
        trainer.model.student.head.mlp[0].weight.scalars[3] = value
        trainer.state.epoch = 1
        expectMessage(["at epoch 2, batch 0", "student.head.mlp.0.weight", "the run has diverged", "not writing a checkpoint",
                       "the last good checkpoint is kept at \(trainer.checkpointURL.path) (epoch 1, batch 0, iteration 0)"]) {
            try trainer.saveCheckpoint(numbered: false)
        }
        #expect(try Data(contentsOf: trainer.checkpointURL) == saved)
    }

    @Test func aNonFiniteMomentOrCentreIsNotSaved() throws {
        let trainer = try tinyTrainer()
        trainer.criterion.center.value.scalars[0] = .nan
        expectMessage(["dino_loss.center holds nan", "no checkpoint had been written yet"]) { try trainer.saveCheckpoint(numbered: false) }
        #expect(!FileManager.default.fileExists(atPath: trainer.checkpointURL.path))
    }

    @Test func aDivergedBackboneIsNotEvaluated() throws {
        let trainer = try tinyTrainer()
        _ = try trainer.evaluate(final: false)  // negative control
        var teacher = trainer.model.teacher
        teacher.backbone.norm.weight.scalars[0] = .nan
        trainer.model = DINOViT(student: trainer.model.student, teacher: teacher)
        expectMessage(["the backbone's feature 0 of training image 0 is nan", "the model has diverged"]) { _ = try trainer.evaluate(final: false) }
    }
}

/// Property test: a checkpoint whose header shapes, offsets, dtypes or metadata values (the options,
/// the position, the step counts, the checksums) are rewritten at random is read by every path the
/// commands use (`--resume`, `features`): each mutant resumes or is refused with a message, and none
/// traps (a trap would end the test process). Fixed seeds and budget, so every run tries the same.
@Suite(.fastPath) struct CheckpointMutationTests {
    static let seeds: [UInt64] = [11, 23, 37]
    static let mutantsPerSeed = 40
    /// Values that break code which trusts its input: zero, negatives, extremes, wrong types.
    static var specialValues: [Any] { [0, -1, 1, 2, 7, Int.max, Int.min, Int(Int32.max) + 1, 1e308, -0.5, Double.leastNonzeroMagnitude,
                                       "x", "", NSNull(), true, [Any](), [String: Any](), [1 << 40], [-3, 4]] }

    static func pick<T>(_ values: [T], _ rng: inout SeededGenerator) -> T { values[Int(rng.next() % UInt64(values.count))] }

    /// `value` with one leaf (or the whole value) replaced by a special value.
    static func mutateLeaf(_ value: Any, _ rng: inout SeededGenerator) -> Any {
        if var object = value as? [String: Any], !object.isEmpty, rng.next() % 5 != 0 {
            let key = pick(object.keys.sorted(), &rng)
            object[key] = rng.next() % 8 == 0 ? nil : mutateLeaf(object[key] as Any, &rng)
            return object
        }
        if var array = value as? [Any], !array.isEmpty, rng.next() % 5 != 0 {
            let index = Int(rng.next() % UInt64(array.count))
            array[index] = mutateLeaf(array[index], &rng)
            return array
        }
        return pick(specialValues, &rng)
    }

    static func mutate(_ header: inout [String: Any], _ rng: inout SeededGenerator) throws {
        var metadata = header["__metadata__"] as? [String: String] ?? [:]
        if rng.next() % 2 == 0, !metadata.isEmpty {
            // A metadata value: JSON ones get one leaf changed, the rest are replaced.
            let key = pick(metadata.keys.sorted(), &rng)
            let text = metadata[key] ?? ""
            if let json = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) {
                let mutated = mutateLeaf(json, &rng)
                let data = try JSONSerialization.data(withJSONObject: mutated, options: [.fragmentsAllowed])
                metadata[key] = String(decoding: data, as: UTF8.self)
            } else {
                metadata[key] = pick(["", "x", "{}", "dino-swift-checkpoint-0"], &rng)
            }
            header["__metadata__"] = metadata
        } else {
            // A tensor's entry: its shape, offsets or dtype.
            let name = pick(header.keys.filter { $0 != "__metadata__" }.sorted(), &rng)
            var entry = header[name] as? [String: Any] ?? [:]
            let field = pick(["shape", "data_offsets", "dtype"], &rng)
            let shape = entry["shape"] as? [Int] ?? []
            let candidates: [Any] = field == "dtype" ? ["F16", "BF16", "I64", "F64", "x"]
                : [[Int](), [0], [-1], [1 << 40], [1 << 62, 4], [Int.max], [3, 1 << 31, 1 << 31], Array(shape.reversed()),
                   shape.map { $0 + 1 }, [shape.reduce(1, *)], mutateLeaf(entry[field] as Any, &rng)]
            entry[field] = pick(candidates, &rng)
            header[name] = entry
        }
    }

    @Test(arguments: seeds)
    func mutatedCheckpointsResumeOrAreRefusedNeverTrap(seed: UInt64) throws {
        let trainer = try tinyTrainer()
        try trainer.saveCheckpoint(numbered: false)
        let url = trainer.checkpointURL
        let original = try Data(contentsOf: url)
        let headerLength = Int(original.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let tensorData = original.dropFirst(8 + headerLength)
        let parsed = try #require(try JSONSerialization.jsonObject(with: original.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
        let data = SyntheticShapes.make(count: 16, size: 16, seed: 0)
        var rng = SeededGenerator(seed: seed)
        var (resumed, refused, unchanged) = (0, 0, 0)
        // What a resumed run must hold: the very weights that were saved (the mutations leave the data alone).
        let saved = trainer.model.student.namedParameters.map(\.tensor) + trainer.model.teacher.namedParameters.map(\.tensor)
        for _ in 0..<Self.mutantsPerSeed {
            var header = parsed
            try Self.mutate(&header, &rng)
            let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
            var file = Data()
            withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
            file.append(json)
            file.append(tensorData)
            try file.write(to: url)
            if NSDictionary(dictionary: header).isEqual(to: parsed) { unchanged += 1 }
            // `--resume`: the options from the file, the folder from the command line.
            do {
                var c = try Checkpoint.configuration(of: url)
                c.outputDir = trainer.configuration.outputDir
                let resumedRun = try DINOTrainer(configuration: c, train: data, test: data, bank: data, resume: url, quiet: true)
                let loaded = resumedRun.model.student.namedParameters.map(\.tensor) + resumedRun.model.teacher.namedParameters.map(\.tensor)
                #expect(loaded == saved, "a mutant header resumed with other weights than were saved: \(String(decoding: json.prefix(300), as: UTF8.self))")
                resumed += 1
            } catch { refused += 1 }
            // `features`: the teacher's backbone alone.
            var backbone = trainer.model.teacher.backbone
            _ = try? Checkpoint.teacherBackbone(of: url, into: &backbone)
        }
        #expect(refused > Self.mutantsPerSeed / 2, "expected most mutants refused, got \(refused) refused and \(resumed) resumed (\(unchanged) unchanged)")
        try original.write(to: url)
        _ = try tinyTrainer(folder: URL(fileURLWithPath: trainer.configuration.outputDir), resume: true)  // negative control: the original resumes
    }
}
