import DINO
import DINOTraining
import Foundation
import Testing

/// Every bad input a user can give the trainer, run as the user runs it: each case a subprocess of the
/// built `ch09-trainer`, asserting its exit status, its message, and that no file of the prepared
/// runs and datasets was lost or changed (a refused command may leave only its folder's `.lock`).
/// `DINO_REPORT_CASES=FILE` writes the table (case, exit status, message excerpt) to FILE.
@Suite(.serialized) struct BadInputTableTests {
    /// One refused command.
    struct Case: CustomStringConvertible {
        let name: String, command: String, status: Int32, message: String
        var description: String { name }
    }

    /// The prepared files every case runs against.
    struct Fixtures {
        let root: URL
        /// A finished tiny run (`run/`), its checkpoint, and copies of it edited one way each (`edited/NAME/`).
        var run: URL { root.appendingPathComponent("run") }
        var checkpoint: URL { run.appendingPathComponent("checkpoint.safetensors") }
        func edited(_ name: String) -> URL { root.appendingPathComponent("edited/\(name)") }
    }

    static let trainer = "$BIN/ch09-trainer"

    /// The tiny run's options (about 10 s in a debug build).
    static func tiny(_ folder: String) -> String {
        "\(trainer) train --dataset synthetic --train-subset 32 --eval-test-subset 16 --depth 1 --patch-size 7 --out-dim 32 "
            + "--global-crop-size 28 --local-crops-number 2 --local-crop-size 14 --batch-size 16 --epochs 1 --warmup-epochs 0 "
            + "--threads 1 --output-dir '\(folder)'"
    }

    /// A safetensors file's header (as JSON) and its tensor data.
    static func split(_ file: Data) throws -> (header: [String: Any], data: Data) {
        let length = Int(file.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try JSONSerialization.jsonObject(with: file.subdata(in: 8..<(8 + length))) as? [String: Any] ?? [:]
        return (header, file.subdata(in: (8 + length)..<file.count))
    }

    static func join(_ header: [String: Any], _ data: Data) throws -> Data {
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var file = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        return file + json + data
    }

    /// An IDX file of unsigned bytes.
    static func idx(_ dimensions: [Int], fill: UInt8) -> Data {
        var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for d in dimensions { bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: d >> $0) } }
        return Data(bytes + [UInt8](repeating: fill, count: dimensions.reduce(1, *)))
    }

    static func prepare() throws -> Fixtures {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dino-bad-input-\(UUID().uuidString)")
        let fixtures = Fixtures(root: root)
        let manager = FileManager.default
        try manager.createDirectory(at: root, withIntermediateDirectories: true)
        let trained = try CommandLineTests.shell(tiny(fixtures.run.path))
        guard trained.status == 0 else { throw DataError("the tiny run failed: \(trained.error)") }
        let original = try Data(contentsOf: fixtures.checkpoint)
        let (header, data) = try split(original)
        var metadata = header["__metadata__"] as? [String: String] ?? [:]

        func write(_ name: String, _ bytes: Data) throws {
            try manager.createDirectory(at: fixtures.edited(name), withIntermediateDirectories: true)
            try bytes.write(to: fixtures.edited(name).appendingPathComponent("checkpoint.safetensors"))
        }
        func withMetadata(_ key: String, _ edit: (inout [String: Any]) -> Void) throws -> Data {
            var object = try JSONSerialization.jsonObject(with: Data((metadata[key] ?? "{}").utf8)) as? [String: Any] ?? [:]
            edit(&object)
            var changed = header, edited = metadata
            edited[key] = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            changed["__metadata__"] = edited
            return try join(changed, data)
        }
        func withEntry(_ name: String, _ edit: (inout [String: Any]) -> Void) throws -> Data {
            var changed = header, entry = header[name] as? [String: Any] ?? [:]
            edit(&entry)
            changed[name] = entry
            return try join(changed, data)
        }
        try write("epoch-negative", try withMetadata("state") { $0["epoch"] = -1 })
        try write("iteration-past-end", try withMetadata("state") { $0["iteration"] = 99 })
        try write("batch-size-zero", try withMetadata("configuration") { $0["batchSize"] = 0 })
        try write("head-width-edited", try withMetadata("configuration") { config in
            var head = config["head"] as? [String: Any] ?? [:]
            head["inputDimension"] = 100
            config["head"] = head
        })
        try write("configuration-not-json", try {
            var changed = header, edited = metadata
            edited["configuration"] = "{not json"
            changed["__metadata__"] = edited
            return try join(changed, data)
        }())
        try write("shape-overflows", try withEntry("student.backbone.cls_token") { $0["shape"] = [1 << 39, 1 << 39] })
        try write("shape-absurd", try withEntry("student.backbone.cls_token") { $0["shape"] = [1 << 62, 4] })
        try write("offsets-past-end", try withEntry("student.backbone.cls_token") { $0["data_offsets"] = [0, 1 << 40] })
        try write("unknown-dtype", try withEntry("student.backbone.cls_token") { $0["dtype"] = "I64" })
        // A moment's shape reversed: the same bytes (its checksum still matches), the wrong shape.
        let momentName = "optimizer.exp_avg.student.head.mlp.0.weight"
        try write("moment-shape", try withEntry(momentName) { entry in entry["shape"] = (entry["shape"] as? [Int] ?? []).reversed() as [Int] })
        var flipped = original
        flipped[original.count - 50] ^= 0x10
        try write("byte-flipped", flipped)
        try write("truncated", original.prefix(original.count / 2))
        try write("empty", Data())
        try write("not-a-checkpoint", try Data(contentsOf: fixtures.run.appendingPathComponent("teacher_backbone.safetensors")))
        // NaN in the teacher's final norm, its checksum recomputed (a file that verifies): features refuses.
        var nanHeader = header, nanMetadata = metadata
        var nanData = data
        if let entry = header["teacher.backbone.norm.weight"] as? [String: Any], let offsets = entry["data_offsets"] as? [Int] {
            withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { nanData.replaceSubrange(offsets[0]..<offsets[0] + 4, with: $0) }
            var checksums = try JSONDecoder().decode([String: String].self, from: Data((metadata[Checkpoint.checksumKey] ?? "{}").utf8))
            checksums["teacher.backbone.norm.weight"] = String(CRC32C.checksum([UInt8](nanData[offsets[0]..<offsets[1]])), radix: 16)
            nanMetadata[Checkpoint.checksumKey] = String(decoding: try JSONEncoder().encode(checksums), as: UTF8.self)
        }
        nanHeader["__metadata__"] = nanMetadata
        try write("nan-weights", try join(nanHeader, nanData))
        metadata = [:]

        // Fashion-MNIST's format with test images of another size than the training images.
        let mnist = root.appendingPathComponent("mnist-sizes")
        try manager.createDirectory(at: mnist, withIntermediateDirectories: true)
        try idx([40, 28, 28], fill: 100).write(to: mnist.appendingPathComponent("train-images-idx3-ubyte"))
        try idx([40], fill: 1).write(to: mnist.appendingPathComponent("train-labels-idx1-ubyte"))
        try idx([10, 32, 32], fill: 100).write(to: mnist.appendingPathComponent("t10k-images-idx3-ubyte"))
        try idx([10], fill: 1).write(to: mnist.appendingPathComponent("t10k-labels-idx1-ubyte"))
        let mnistLabels = root.appendingPathComponent("mnist-labels")
        try manager.createDirectory(at: mnistLabels, withIntermediateDirectories: true)
        try idx([40, 28, 28], fill: 100).write(to: mnistLabels.appendingPathComponent("train-images-idx3-ubyte"))
        try idx([40], fill: 12).write(to: mnistLabels.appendingPathComponent("train-labels-idx1-ubyte"))
        // Image folders: a validation class the training split lacks; a name that is not UTF-8; a broken image.
        for path in ["folders/extra-class/train/cat", "folders/extra-class/val/cat", "folders/extra-class/val/yak",
                     "folders/latin1/cat", "folders/broken/cat", "folders/empty-class/cat", "folders/empty-class/dog"] {
            try manager.createDirectory(at: root.appendingPathComponent(path), withIntermediateDirectories: true)
        }
        let grey = [Float](repeating: 0.5, count: 28 * 28)
        for path in ["folders/extra-class/train/cat/a.png", "folders/extra-class/val/cat/a.png", "folders/extra-class/val/yak/a.png",
                     "folders/latin1/cat/a.png", "folders/broken/cat/a.png", "folders/empty-class/cat/a.png"] {
            try ImageCodecs.writePNG(grey, channels: 1, height: 28, width: 28, to: root.appendingPathComponent(path))
        }
        let latin1 = Array(root.path.utf8) + Array("/folders/latin1/cat/caf".utf8) + [0xE9] + Array(".png".utf8) + [0]
        close(open(latin1.map { CChar(bitPattern: $0) }, O_CREAT | O_WRONLY, 0o644))
        try Data("not an image".utf8).write(to: root.appendingPathComponent("folders/broken/cat/b.png"))
        return fixtures
    }

    static func cases(_ f: Fixtures) -> [Case] {
        let root = f.root.path, out = "'\(root)/new-run'"
        let synthetic = "\(trainer) train --dataset synthetic --threads 1 --output-dir \(out)"
        let tinyNew = tiny("\(root)/new-run")
        func resume(_ name: String) -> String { "\(trainer) train --resume --threads 1 --output-dir '\(f.edited(name).path)'" }
        func features(_ name: String) -> String {
            "\(trainer) features --checkpoint '\(f.edited(name).path)/checkpoint.safetensors' --output '\(root)/features.safetensors' --threads 1"
        }
        let folder = { (path: String) in "\(trainer) train --dataset folder --data-path '\(root)/folders/\(path)' --global-crop-size 28 --patch-size 7 --local-crop-size 14 --threads 1 --output-dir \(out)" }
        return [
            // Options that cannot work
            Case(name: "--epochs 0", command: "\(synthetic) --epochs 0", status: 1, message: "epochs must be between 1 and 100000, got 0"),
            Case(name: "--epochs=-3", command: "\(synthetic) --epochs=-3", status: 1, message: "epochs must be between 1 and 100000, got -3"),
            Case(name: "--epochs abc", command: "\(synthetic) --epochs abc", status: 64, message: "The value 'abc' is invalid for '--epochs <epochs>'"),
            Case(name: "--precision fp16", command: "\(synthetic) --precision fp16", status: 64, message: "The value 'fp16' is invalid for '--precision <precision>'"),
            Case(name: "--precision bf16 on the reference path", command: "\(synthetic) --precision bf16 --path reference", status: 1,
                 message: "--precision bf16 runs on the fast path"),
            Case(name: "--epochs 1000000000", command: "\(synthetic) --epochs 1000000000", status: 1, message: "epochs must be between 1 and 100000, got 1000000000"),
            Case(name: "--train-subset 2⁶²", command: "\(synthetic) --train-subset 4611686018427387904", status: 1,
                 message: "train-subset must be between 1 and 2147483647"),
            Case(name: "--batch-size 0", command: "\(synthetic) --batch-size 0", status: 1, message: "batch size must be positive, got 0"),
            Case(name: "--batch-size 3000000000", command: "\(synthetic) --batch-size 3000000000", status: 1, message: "batch size must be at most 2147483647"),
            Case(name: "--lr 0", command: "\(synthetic) --lr 0", status: 1, message: "learning rates must be positive, got lr 0.0"),
            Case(name: "--min-lr=-1", command: "\(synthetic) --min-lr=-1", status: 1, message: "min-lr -1.0"),
            Case(name: "--weight-decay=-0.1", command: "\(synthetic) --weight-decay=-0.1", status: 1, message: "weight decay must be 0 or more"),
            Case(name: "--clip-grad=-1", command: "\(synthetic) --clip-grad=-1", status: 1, message: "clip-grad must be 0 (off) or positive, got -1.0"),
            Case(name: "--momentum-teacher 1.5", command: "\(synthetic) --momentum-teacher 1.5", status: 1, message: "momentum-teacher must be in [0, 1], got 1.5"),
            Case(name: "--teacher-temp 0", command: "\(synthetic) --teacher-temp 0", status: 1, message: "teacher temperatures must be positive"),
            Case(name: "teacher-temperature warm-up longer than the run", command: "\(synthetic) --epochs 2 --warmup-epochs 1 --warmup-teacher-temp-epochs 50",
                 status: 1, message: "teacher temperature warm-up of 50 epochs is longer than the run (2 epochs)"),
            Case(name: "learning-rate warm-up longer than the run", command: "\(synthetic) --epochs 2 --warmup-epochs 5", status: 1,
                 message: "learning-rate warm-up of 5 epochs is longer than the run (2 epochs)"),
            Case(name: "--freeze-last-layer=-1", command: "\(synthetic) --freeze-last-layer=-1", status: 1, message: "freeze-last-layer must be 0 or more, got -1"),
            Case(name: "--threads 0", command: "\(trainer) train --dataset synthetic --threads 0 --output-dir \(out)", status: 1, message: "threads must be at least 1, got 0"),
            Case(name: "--threads 64 (beyond the cores: a warning, then the error)", command: "\(synthetic) --threads 64 --batch-size 0", status: 1,
                 message: "warning: --threads 64 is more than this machine's"),
            Case(name: "--patch-size 5 on 28² crops", command: "\(synthetic) --global-crop-size 28 --local-crop-size 14 --patch-size 5", status: 1,
                 message: "image size 28 is not a multiple of the patch size 5"),
            Case(name: "local crops larger than global", command: "\(synthetic) --global-crop-size 28 --patch-size 7 --local-crop-size 35", status: 1,
                 message: "global crops (28) must not be smaller than local crops (35)"),
            Case(name: "--local-crops-number 100", command: "\(synthetic) --local-crops-number 100", status: 1, message: "local-crops-number must be between 0 and 64, got 100"),
            Case(name: "--global-crops-scale 0.4", command: "\(synthetic) --global-crops-scale 0.4", status: 1,
                 message: "--global-crops-scale takes 2 numbers separated by commas, got '0.4'"),
            Case(name: "--local-crops-scale 0.5,0.2", command: "\(synthetic) --local-crops-scale 0.5,0.2", status: 1, message: "local-crops-scale [0.5, 0.2] must be"),
            Case(name: "--gaussian-blur 1,0.1", command: "\(synthetic) --gaussian-blur 1,0.1", status: 1,
                 message: "--gaussian-blur takes 3 numbers separated by commas, got '1,0.1'"),
            Case(name: "--gaussian-blur 1,2,0.5", command: "\(synthetic) --gaussian-blur 1,2,0.5", status: 1,
                 message: "gaussian-blur takes three probabilities in [0, 1] (global crop 1, global crop 2, local crops), got [1.0, 2.0, 0.5]"),
            Case(name: "--solarization-prob 1.5", command: "\(synthetic) --solarization-prob 1.5", status: 1, message: "solarization-prob must be in [0, 1], got 1.5"),
            Case(name: "--color-jitter-strength 3", command: "\(synthetic) --color-jitter-strength 3", status: 1,
                 message: "color-jitter-strength must be in [0, 2.5] (1 is the paper's), got 3.0"),
            Case(name: "--arch vit_huge", command: "\(synthetic) --arch vit_huge", status: 1, message: "unknown architecture 'vit_huge'"),
            Case(name: "--depth 5000", command: "\(synthetic) --depth 5000", status: 1, message: "is beyond the limits (width ≤ 16384, depth ≤ 1024"),
            Case(name: "--out-dim 0", command: "\(synthetic) --out-dim 0", status: 1, message: "out_dim (K) must be positive, got 0"),
            Case(name: "--out-dim 99999999", command: "\(synthetic) --out-dim 99999999", status: 1, message: "K = 99999999 is beyond the limits"),
            Case(name: "--dataset imagenet", command: "\(trainer) train --dataset imagenet --output-dir \(out)", status: 1, message: "unknown dataset 'imagenet'"),
            Case(name: "--dataset folder without --data-path", command: "\(trainer) train --dataset folder --output-dir \(out)", status: 1,
                 message: "--dataset folder needs --data-path ROOT"),
            Case(name: "--channels 3 on synthetic images", command: "\(synthetic) --channels 3", status: 1, message: "synthetic images have 1 channel, got --channels 3"),
            Case(name: "--channels 2", command: "\(folder("broken")) --channels 2", status: 1, message: "channels must be 1 or 3, got 2"),
            Case(name: "--saveckp-freq=-1", command: "\(synthetic) --saveckp-freq=-1", status: 1,
                 message: "saveckp-freq, checkpoint-every-iterations and eval-every must be 0 (off) or more"),
            Case(name: "--preset fast", command: "\(trainer) train --preset fast --output-dir \(out)", status: 1, message: "unknown preset 'fast'; expected quick, b1 or fashion"),
            Case(name: "--path turbo", command: "\(synthetic) --path turbo", status: 64, message: "The value 'turbo' is invalid for '--path <path>'"),
            Case(name: "a run larger than the machine's memory", command: "\(synthetic) --batch-size 2000000", status: 1,
                 message: "this run needs at least"),
            Case(name: "a batch larger than the training set", command: "\(synthetic) --global-crop-size 28 --patch-size 7 --local-crop-size 14 --train-subset 8 --batch-size 16",
                 status: 1, message: "the training set has 8 images, fewer than one batch of 16"),
            // Data that is missing or does not fit together
            Case(name: "Fashion-MNIST folder missing", command: "\(trainer) train --data-path /nonexistent --global-crop-size 28 --patch-size 4 --local-crop-size 12 --output-dir \(out)",
                 status: 1, message: "/nonexistent"),
            Case(name: "test images of another size", command: "\(trainer) train --data-path '\(root)/mnist-sizes' --global-crop-size 28 --patch-size 4 --local-crop-size 12 --batch-size 8 --output-dir \(out)",
                 status: 1, message: "the test images are 1×32×32 but the training images 1×28×28"),
            Case(name: "a label outside Fashion-MNIST's classes", command: "\(trainer) train --data-path '\(root)/mnist-labels' --global-crop-size 28 --patch-size 4 --local-crop-size 12 --output-dir \(out)",
                 status: 1, message: "label 12 in the train split; Fashion-MNIST labels are 0…9"),
            Case(name: "ImageFolder root missing", command: folder("missing"), status: 1, message: "no such folder; expected root/<class>/<images>"),
            Case(name: "a validation class the training split lacks", command: folder("extra-class"), status: 1,
                 message: "class 'yak' is not among the training classes (cat); classes are matched by folder name"),
            Case(name: "a file name that is not UTF-8", command: folder("latin1"), status: 1, message: "/folders/latin1/cat/caf\\xE9.png: the file name is not UTF-8"),
            Case(name: "an image that is not an image", command: folder("broken"), status: 1, message: "b.png"),
            Case(name: "a class folder with no image", command: folder("empty-class"), status: 1, message: "dog: class folder with no .png, .jpg or .jpeg image"),
            // Run folders and checkpoints
            Case(name: "train into a folder that holds a run", command: tiny(f.run.path), status: 1, message: "already holds a run"),
            Case(name: "--resume with no checkpoint", command: "\(trainer) train --resume --output-dir '\(root)/nowhere'", status: 1, message: "--resume: no checkpoint at"),
            Case(name: "--resume --restart", command: "\(tinyNew) --resume --restart", status: 1, message: "--resume and --restart exclude each other"),
            Case(name: "--output-dir ''", command: "\(trainer) train --dataset synthetic --output-dir ''", status: 1, message: "--output-dir is empty"),
            Case(name: "saved epoch -1", command: resume("epoch-negative"), status: 1, message: "the saved epoch -1 is outside the run's 0…1"),
            Case(name: "saved iteration past the end", command: resume("iteration-past-end"), status: 1, message: "the saved iteration 99 is not epoch 1 × 2 batches + batch 0"),
            Case(name: "saved batch size 0", command: resume("batch-size-zero"), status: 1, message: "saved configuration is impossible: batch size must be positive, got 0"),
            Case(name: "saved head width edited", command: resume("head-width-edited"), status: 1, message: "the head takes 100 features, the backbone gives 192"),
            Case(name: "saved configuration not JSON", command: resume("configuration-not-json"), status: 1, message: "its saved configuration cannot be read"),
            Case(name: "a header shape that overflows", command: resume("shape-overflows"), status: 1, message: "needs too many bytes"),
            Case(name: "a header shape beyond any file", command: resume("shape-absurd"), status: 1, message: "invalid shape [4611686018427387904, 4]"),
            Case(name: "data offsets past the end", command: resume("offsets-past-end"), status: 1, message: "student.backbone.cls_token"),
            Case(name: "an unknown dtype", command: resume("unknown-dtype"), status: 1, message: "I64"),
            Case(name: "an optimiser moment of the wrong shape", command: resume("moment-shape"), status: 1,
                 message: "optimizer.exp_avg.student.head.mlp.0.weight has shape [192, 2048], the parameter [2048, 192]"),
            Case(name: "a byte changed in the tensor data (resume)", command: resume("byte-flipped"), status: 1, message: "is corrupt (CRC-32C"),
            Case(name: "a byte changed in the tensor data (features)", command: features("byte-flipped"), status: 1, message: "is corrupt (CRC-32C"),
            Case(name: "a truncated checkpoint", command: resume("truncated"), status: 1, message: "checkpoint.safetensors"),
            Case(name: "an empty checkpoint", command: features("empty"), status: 1, message: "is 0 bytes long, shorter than the 8-byte header length"),
            Case(name: "a safetensors file that is not a checkpoint", command: resume("not-a-checkpoint"), status: 1, message: "not a checkpoint of this trainer"),
            Case(name: "NaN weights (features)", command: features("nan-weights"), status: 1, message: "the backbone's feature"),
            Case(name: "features --threads 0", command: "\(trainer) features --checkpoint '\(f.checkpoint.path)' --output '\(root)/f.safetensors' --threads 0",
                 status: 1, message: "--threads must be at least 1, got 0"),
            Case(name: "features --split validation", command: "\(trainer) features --checkpoint '\(f.checkpoint.path)' --output '\(root)/f.safetensors' --split validation",
                 status: 1, message: "--split must be train or test, got 'validation'"),
            Case(name: "features of a missing checkpoint", command: "\(trainer) features --checkpoint '\(root)/none.safetensors' --output '\(root)/f.safetensors'",
                 status: 1, message: "none.safetensors does not exist"),
            // A folder where a file should be: the system's error, in our words.
            Case(name: "features of a folder named as the checkpoint", command: "\(trainer) features --checkpoint '\(root)/folders' --output '\(root)/f.safetensors'",
                 status: 1, message: "folders is a folder, expected a file"),
            Case(name: "evaluate a folder named as the checkpoint", command: "\(trainer) evaluate --checkpoint '\(root)/folders' --threads 1",
                 status: 1, message: "folders is a folder, expected a file"),
            Case(name: "features into a folder that does not exist", command: "\(trainer) features --checkpoint '\(f.checkpoint.path)' --output '\(root)/no/such/f.safetensors' --threads 1",
                 status: 1, message: "no/such/f.safetensors"),
            Case(name: "--n-last-blocks 0", command: "\(synthetic) --n-last-blocks 0", status: 1,
                 message: "--n-last-blocks must be between 1 and the backbone's depth 12, got 0"),
            Case(name: "--knn-features mean", command: "\(synthetic) --knn-features mean", status: 1, message: "--knn-features must be cls or probe, got 'mean'"),
            Case(name: "features --n-last-blocks beyond the depth", command: "\(trainer) features --checkpoint '\(f.checkpoint.path)' --output '\(root)/f.safetensors' --n-last-blocks 2 --threads 1",
                 status: 1, message: "--n-last-blocks must be between 1 and the backbone's depth 1, got 2"),
            Case(name: "evaluate a corrupt checkpoint", command: "\(trainer) evaluate --checkpoint '\(f.edited("byte-flipped").path)/checkpoint.safetensors' --threads 1",
                 status: 1, message: "is corrupt (CRC-32C"),
            Case(name: "evaluate --threads 0", command: "\(trainer) evaluate --checkpoint '\(f.checkpoint.path)' --threads 0", status: 1,
                 message: "--threads must be at least 1, got 0"),
            Case(name: "features over its own checkpoint", command: "\(trainer) features --checkpoint '\(f.checkpoint.path)' --output '\(f.checkpoint.path)'",
                 status: 1, message: "is the checkpoint being read"),
        ]
    }

    /// Every regular file under `root` but the locks (a process writes its PID there), with its size,
    /// modification time and inode: a write or a replacement by rename changes one of them.
    static func snapshot(_ root: URL) -> [String: String] {
        var files = [String: String]()
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return files }
        for case let path as String in walker where !path.hasSuffix(".lock") {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: root.path + "/" + path),
                  attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            files[path] = "\(attributes[.size] ?? 0) \((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0) \(attributes[.systemFileNumber] ?? 0)"
        }
        return files
    }

    /// How many cases the table holds.
    static let caseCount = 82

    @Test func everyBadInputIsAMessageAndLosesNothing() throws {
        let fixtures = try Self.prepare()
        defer { try? FileManager.default.removeItem(at: fixtures.root) }
        let cases = Self.cases(fixtures)
        // Pinned: a case dropped (or added) by accident shows here; change the number on purpose.
        #expect(cases.count == Self.caseCount, "expected \(Self.caseCount) cases, found \(cases.count)")
        var report = ["| case | exit | message (excerpt) |", "|---|---|---|"]
        for item in cases {
            let before = Self.snapshot(fixtures.root)
            let outcome = try CommandLineTests.shell(item.command)
            #expect(outcome.status == item.status, "\(item.name): expected exit \(item.status), got \(outcome.status): \(outcome.error)")
            #expect(outcome.error.contains(item.message), "\(item.name): expected the message to contain \"\(item.message)\", got: \(outcome.error)")
            // Never Foundation's own text: it names neither the cause nor the remedy.
            #expect(!outcome.error.contains("Error Domain=") && !outcome.error.contains("NSCocoaErrorDomain"),
                    "\(item.name): the system's words reached the user: \(outcome.error)")
            let after = Self.snapshot(fixtures.root)
            let changed = before.keys.filter { after[$0] != before[$0] }.sorted()
            let added = after.keys.filter { before[$0] == nil }.sorted()
            #expect(changed.isEmpty && added.isEmpty, "\(item.name): files changed \(changed), added \(added)")
            let line = (outcome.error.split(separator: "\n").first(where: { $0.contains(item.message) }) ?? "")
                .replacingOccurrences(of: fixtures.root.path, with: "…").replacingOccurrences(of: "|", with: "\\|")
            report.append("| \(item.name) | \(outcome.status) | \(line.prefix(120)) |")
        }
        if let path = ProcessInfo.processInfo.environment["DINO_REPORT_CASES"] {
            try Data((report.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        }
    }
}
