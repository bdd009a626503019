import ArgumentParser
import DINO
import DINOTraining
import Foundation

/// The training options under the reference's names (`main_dino.py`'s `--out_dim` is `--out-dim`). Each
/// is one `@Option` here and one row of `TrainingOptions.table`, which says where it goes in the
/// configuration and what it means; the help shows the default read from the configuration. An option
/// left out keeps the preset's (or DINO's default) value.
struct TrainingOptions: ParsableArguments {
    @Option(help: "Start from a preset: quick (the README's main job: ≤ 10 min on 2 cores with bf16 products, about 30 min in float32 where the CPU lacks AVX512_BF16), b1 (the benchmark configuration) or fashion (the recipe study's best: about two hours on 2 cores with bf16 products, about six in float32 where the CPU lacks AVX512_BF16; there \(fashionInTwoHoursInFloat32) fits two hours).")
    var preset: String?
    @Option(help: help("dataset")) var dataset: String?
    @Option(help: help("data-path")) var dataPath: String?
    @Option(help: help("train-subset")) var trainSubset: Int?
    @Option(help: help("eval-train-subset")) var evalTrainSubset: Int?
    @Option(help: help("eval-test-subset")) var evalTestSubset: Int?
    @Option(help: help("channels")) var channels: Int?
    @Option(help: help("arch")) var arch: String?
    @Option(help: help("depth")) var depth: Int?
    @Option(help: help("patch-size")) var patchSize: Int?
    @Option(help: help("out-dim")) var outDim: Int?
    @Option(help: help("norm-last-layer")) var normLastLayer: Bool?
    @Option(help: help("momentum-teacher")) var momentumTeacher: Double?
    @Option(help: help("teacher-temp")) var teacherTemp: Float?
    @Option(help: help("warmup-teacher-temp")) var warmupTeacherTemp: Float?
    @Option(help: help("warmup-teacher-temp-epochs")) var warmupTeacherTempEpochs: Int?
    @Option(help: help("weight-decay")) var weightDecay: Double?
    @Option(help: help("weight-decay-end")) var weightDecayEnd: Double?
    @Option(help: help("clip-grad")) var clipGrad: Float?
    @Option(help: help("batch-size")) var batchSize: Int?
    @Option(help: help("epochs")) var epochs: Int?
    @Option(help: help("freeze-last-layer")) var freezeLastLayer: Int?
    @Option(help: help("lr")) var lr: Double?
    @Option(help: help("warmup-epochs")) var warmupEpochs: Int?
    @Option(help: help("min-lr")) var minLr: Double?
    @Option(help: help("drop-path-rate")) var dropPathRate: Float?
    @Option(help: help("global-crop-size")) var globalCropSize: Int?
    @Option(help: help("local-crop-size")) var localCropSize: Int?
    @Option(help: help("global-crops-scale")) var globalCropsScale: String?
    @Option(help: help("local-crops-number")) var localCropsNumber: Int?
    @Option(help: help("local-crops-scale")) var localCropsScale: String?
    @Option(help: help("gaussian-blur")) var gaussianBlur: String?
    @Option(help: help("solarization-prob")) var solarizationProb: Double?
    @Option(help: help("color-jitter-strength")) var colorJitterStrength: Double?
    @Option(help: help("seed")) var seed: UInt64?
    @Option(help: help("threads")) var threads: Int?
    @Option(help: help("path")) var path: ComputePath?
    @Option(help: help("precision")) var precision: MatrixPrecision?
    @Option(help: help("output-dir")) var outputDir: String?
    @Option(help: help("saveckp-freq")) var saveckpFreq: Int?
    @Option(help: help("checkpoint-every-iterations")) var checkpointEveryIterations: Int?
    @Option(help: help("eval-every")) var evalEvery: Int?
    @Option(help: help("n-last-blocks")) var nLastBlocks: Int?
    @Option(help: help("avgpool-patchtokens")) var avgpoolPatchtokens: Bool?
    @Option(help: help("knn-features")) var knnFeatures: String?
    @Option(help: help("overlap-communication")) var overlapCommunication: Bool?

    /// One row of the table: a flag, what it does to a configuration, and its help with the default.
    struct Row: Sendable {
        /// The flag without its dashes, as `--help` shows it.
        let flag: String
        /// What it means, in the reference's words where it has them.
        let meaning: String
        /// The default, read from DINO's configuration (`nil` where it has none to show).
        let defaultValue: @Sendable (TrainingConfiguration) -> String?
        /// Applies the option's value, when given, to the configuration.
        let apply: @Sendable (TrainingOptions, inout TrainingConfiguration) throws -> Void

        /// A row whose option sets one field of the configuration as it is.
        init<Value>(_ flag: String, _ option: KeyPath<TrainingOptions, Value?> & Sendable,
                    _ setting: WritableKeyPath<TrainingConfiguration, Value> & Sendable, _ meaning: String) {
            self.init(flag, meaning, shown: { shown($0[keyPath: setting]) }) { options, c in
                if let value = options[keyPath: option] { c[keyPath: setting] = value }
            }
        }

        /// A row whose option sets an optional field (an option whose default is "all" or "none").
        init<Value>(_ flag: String, _ option: KeyPath<TrainingOptions, Value?> & Sendable,
                    _ setting: WritableKeyPath<TrainingConfiguration, Value?> & Sendable, _ meaning: String) {
            self.init(flag, meaning, shown: { $0[keyPath: setting].map(shown) }) { options, c in
                if let value = options[keyPath: option] { c[keyPath: setting] = value }
            }
        }

        /// A row whose option is a list of `count` numbers separated by commas (`0.4,1`).
        init(_ flag: String, _ option: KeyPath<TrainingOptions, String?> & Sendable,
             numbers setting: WritableKeyPath<TrainingConfiguration, [Double]> & Sendable, count: Int, _ meaning: String) {
            self.init(flag, meaning, shown: { shown($0[keyPath: setting]) }) { options, c in
                guard let text = options[keyPath: option] else { return }
                let values = text.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard values.count == count, !text.hasSuffix(",") else {
                    throw ValidationError("--\(flag) takes \(count) numbers separated by commas, got '\(text)'")
                }
                c[keyPath: setting] = values
            }
        }

        /// A row with its own way of applying the option.
        init(_ flag: String, _ meaning: String, shown defaultValue: @escaping @Sendable (TrainingConfiguration) -> String?,
             apply: @escaping @Sendable (TrainingOptions, inout TrainingConfiguration) throws -> Void) {
            (self.flag, self.meaning, self.defaultValue, self.apply) = (flag, meaning, defaultValue, apply)
        }
    }

    /// Every option but `--preset`, in the order `--help` lists them: where it goes and what it means.
    static let table: [Row] = [
        Row("dataset", \.dataset, \.dataset, "fashion-mnist, synthetic or folder (an ImageFolder root given with --data-path)."),
        Row("data-path", \.dataPath, \.dataPath, "Fashion-MNIST's folder (default \(FashionMNIST.defaultFolder)) or the ImageFolder root."),
        Row("train-subset", \.trainSubset, \.trainSubset, "Train on the first N training images only (default all)."),
        Row("eval-train-subset", \.evalTrainSubset, \.evalTrainSubset, "k-NN bank: the first N training images (default all)."),
        Row("eval-test-subset", \.evalTestSubset, \.evalTestSubset, "k-NN queries: the first N test images (default all)."),
        // A folder of images is RGB unless told otherwise; Fashion-MNIST and synthetic images are grey.
        Row("channels", "Channels of folder images: 1 (grey) or 3 (RGB, the default for --dataset folder).", shown: { _ in nil }) { options, c in
            if let channels = options.channels ?? (c.dataset == "folder" ? 3 : nil) { c.backbone.channels = channels }
        },
        Row("arch", \.arch, \.architecture, "Backbone: vit_tiny (192-d, 3 heads), vit_small (384, 6) or vit_base (768, 12)."),
        Row("depth", \.depth, \.backbone.depth, "Transformer blocks."),
        Row("patch-size", \.patchSize, \.backbone.patchSize, "Patch side in pixels."),
        Row("out-dim", \.outDim, \.head.outputDimension, "K, the head's output dimension (65536 in the paper)."),
        Row("norm-last-layer", \.normLastLayer, \.head.normLastLayer, "Fix the last layer's weight-norm g to 1 (true/false)."),
        Row("momentum-teacher", \.momentumTeacher, \.teacherMomentum, "Teacher EMA momentum λ at the start; cosine to 1."),
        Row("teacher-temp", \.teacherTemp, \.loss.teacherTemperature, "Teacher temperature τ_t after the warm-up."),
        Row("warmup-teacher-temp", \.warmupTeacherTemp, \.loss.warmupTeacherTemperature, "Teacher temperature at the start of the warm-up."),
        Row("warmup-teacher-temp-epochs", \.warmupTeacherTempEpochs, \.loss.warmupTeacherTemperatureEpochs, "Epochs of teacher-temperature warm-up."),
        Row("weight-decay", \.weightDecay, \.weightDecay, "Weight decay at the start (cosine schedule)."),
        Row("weight-decay-end", \.weightDecayEnd, \.finalWeightDecay, "Weight decay at the end."),
        Row("clip-grad", \.clipGrad, \.gradientClip, "Per-parameter gradient-norm limit (0: off)."),
        Row("batch-size", \.batchSize, \.batchSize, "Images per step: the global batch, shared by the ranks under mpirun."),
        Row("epochs", \.epochs, \.epochs, "Training epochs."),
        Row("freeze-last-layer", \.freezeLastLayer, \.freezeLastLayer, "Epochs during which the head's last layer is frozen."),
        Row("lr", \.lr, \.learningRate, "Base learning rate at batch 256 (scaled by batch/256)."),
        Row("warmup-epochs", \.warmupEpochs, \.warmupEpochs, "Epochs of linear learning-rate warm-up."),
        Row("min-lr", \.minLr, \.finalLearningRate, "Final learning rate of the cosine schedule."),
        Row("drop-path-rate", \.dropPathRate, \.backbone.dropPathRate, "Stochastic-depth rate of the student's last block."),
        Row("global-crop-size", \.globalCropSize, \.backbone.imageSize, "Side of the global crops (the image size)."),
        Row("local-crop-size", \.localCropSize, \.augmentation.localCropSize, "Side of the local crops."),
        Row("global-crops-scale", \.globalCropsScale, numbers: \.augmentation.globalCropsScale, count: 2, "Area range of the global crops, min,max."),
        Row("local-crops-number", \.localCropsNumber, \.augmentation.localCropsNumber, "Number of local crops."),
        Row("local-crops-scale", \.localCropsScale, numbers: \.augmentation.localCropsScale, count: 2, "Area range of the local crops, min,max."),
        Row("gaussian-blur", \.gaussianBlur, numbers: \.augmentation.blurProbabilities, count: 3,
            "Gaussian-blur probabilities of global crop 1, global crop 2 and each local crop."),
        Row("solarization-prob", \.solarizationProb, \.augmentation.solarizationProbability, "Probability of solarising global crop 2."),
        Row("color-jitter-strength", \.colorJitterStrength, \.augmentation.colorJitterStrength,
            "Colour-jitter strength: 1 is the paper's brightness and contrast 0.4; 0 turns it off."),
        Row("seed", \.seed, \.seed, "Seed of every random choice."),
        Row("threads", \.threads, \.compute.threads, "Cores to compute on."),
        Row("path", \.path, \.compute.path, "fast (OpenBLAS, the worker pool, AVX2 kernels) or reference (the book's plain code, far slower)."),
        Row("precision", \.precision, \.compute.precision, """
            fp32 or bf16: bfloat16 operands with float32 sums in the large matrix products, as PyTorch's autocast; \
            fast with AVX512_BF16 (Intel Cooper Lake or later, AMD Zen 4 or later), on a slower portable path elsewhere.
            """),
        Row("output-dir", \.outputDir, \.outputDir, "Folder for checkpoints, metrics.jsonl, charts and attention.png."),
        Row("saveckp-freq", \.saveckpFreq, \.numberedCheckpointEvery, "Keep a numbered checkpoint every N epochs (0: only the latest)."),
        Row("checkpoint-every-iterations", \.checkpointEveryIterations, \.checkpointEveryIterations, "Also checkpoint every N iterations within an epoch (0: at epoch ends only)."),
        Row("eval-every", \.evalEvery, \.evalEvery, "Run k-NN every N epochs (0: only at the end)."),
        Row("n-last-blocks", "Linear probe: the class tokens of the last N blocks (DINO's --n_last_blocks; default 4, or the depth if smaller).",
            shown: { _ in nil }) { options, c in
            if let blocks = options.nLastBlocks {
                c.linearProbeReadout = FeatureReadout(lastBlocks: blocks, averagePooledPatches: c.probeReadout.averagePooledPatches)
            }
        },
        Row("avgpool-patchtokens", "Linear probe: append the average-pooled patch tokens (true/false; DINO's --avgpool_patchtokens).",
            shown: { shown($0.probeReadout.averagePooledPatches) }) { options, c in
            if let pooled = options.avgpoolPatchtokens {
                c.linearProbeReadout = FeatureReadout(lastBlocks: c.probeReadout.lastBlocks, averagePooledPatches: pooled)
            }
        },
        Row("knn-features", "k-NN on the last class token (cls, as DINO's eval_knn) or on the linear probe's features (probe).",
            shown: { ($0.knnOnProbeFeatures ?? false) ? "probe" : "cls" }) { options, c in
            if let text = options.knnFeatures { c.knnOnProbeFeatures = try knnReadsProbeFeatures(text) }
        },
        Row("overlap-communication", "Under mpirun: sum gradients in buckets during the backward pass, as DDP (true), or after it (false).",
            shown: { shown($0.overlapCommunication ?? true) }) { options, c in
            if let overlap = options.overlapCommunication { c.overlapCommunication = overlap }
        },
    ]

    /// Every given option applied to `configuration`, row by row.
    func apply(to configuration: inout TrainingConfiguration) throws {
        for row in Self.table { try row.apply(self, &configuration) }
    }

    /// The help of `flag`: its meaning and DINO's default, both from the table.
    static func help(_ flag: String) -> ArgumentHelp {
        guard let row = table.first(where: { $0.flag == flag }) else { return ArgumentHelp("(not in the table)") }
        let value = row.defaultValue(TrainingConfiguration())
        return ArgumentHelp(row.meaning + (value.map { " (default: \($0))" } ?? ""))
    }

    /// A line for a preset that chose float32 because this CPU has no bfloat16 kernel: the time its help gives
    /// was measured with bfloat16 products. For `fashion` without `--epochs` it names the options that fit the
    /// two hours in float32 on 2 cores (measured: `Benchmarks/results/records.md`). Nil where `--precision` was
    /// given or the kernel is here.
    func presetPrecisionNote(kernelIsAvailable: Bool = MatrixPrecision.bf16KernelIsAvailable) -> String? {
        guard let preset, TrainingConfiguration.presetsTimedInBFloat16.contains(preset), precision == nil, !kernelIsAvailable else { return nil }
        let twoHourOptions = preset == "fashion" && epochs == nil
            ? "; on 2 cores, \(Self.fashionInTwoHoursInFloat32) fits two hours (Benchmarks/results/records.md)" : ""
        return "note: no AVX512_BF16 kernel here (or DINO_KERNELS is set), so --preset \(preset) computes in float32: "
            + "its steps take several times as long as the bfloat16 steps its stated time was measured with" + twoHourOptions
    }

    /// What the `fashion` preset needs to fit two hours on a 2-core CPU without AVX512_BF16, evaluations
    /// included: fewer epochs, and two local crops instead of six, which learn as much per epoch here at about
    /// seven tenths of the step's cost (measured on an AMD Zen 3: `Benchmarks/results/records.md`).
    static let fashionInTwoHoursInFloat32 = "--epochs 15 --local-crops-number 2"

    /// The preset (or DINO's defaults) with every given option applied, validated.
    func configuration() throws -> TrainingConfiguration {
        var c = try preset.map(TrainingConfiguration.preset) ?? TrainingConfiguration()
        try apply(to: &c)
        warnAboutThreads(c.compute.threads)
        try c.validate()
        return c
    }
}

/// A default as the command line takes it: lists comma-separated, numbers without a trailing `.0`.
private func shown(_ value: Any) -> String {
    switch value {
    case let list as [Double]: return list.map { shown($0) }.joined(separator: ",")
    case let number as Double: return number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : "\(number)"
    case let number as Float: return number == number.rounded() && abs(number) < 1e7 ? String(Int(number)) : "\(number)"
    case let path as ComputePath: return path.rawValue
    case let precision as MatrixPrecision: return precision.rawValue
    default: return "\(value)"
    }
}
