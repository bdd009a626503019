import DINO

/// Every option of a DINO run, with the defaults of the paper (§3.2 and its appendix) and its `main_dino.py`.
/// The parts are nested as the library builds them: the `backbone`, the `head` on it, the `loss` over the
/// head's outputs, the `augmentation` that makes the crops, and the `compute` settings; each value is
/// stored once, each default written once in the part that owns it (the head's input width is the
/// backbone's, the loss's `K` is the head's, its crop count `2 + augmentation.localCropsNumber`). The
/// names are the library's; the command line maps the reference's (`--momentum-teacher`, `--out-dim`, …)
/// onto them in one table (`ch09-trainer`'s `TrainingOptions`). Saved with every checkpoint.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    // Data
    /// `fashion-mnist`, `synthetic` or `folder`.
    public var dataset = "fashion-mnist"
    /// The dataset's folder (Fashion-MNIST's IDX files, or an ImageFolder root).
    public var dataPath: String?
    /// Train on the first N training images only (the B1 reference uses 7680).
    public var trainSubset: Int?
    /// Evaluate k-NN against the first N training images only (all by default).
    public var evalTrainSubset: Int?
    /// Evaluate k-NN on the first N test images only (all by default).
    public var evalTestSubset: Int?

    // Model
    /// The backbone's name in the reference (`vit_tiny`, `vit_small`, `vit_base`): setting it sets the
    /// backbone's width and head count.
    public var architecture = "vit_tiny" {
        didSet {
            guard let shape = ViTConfiguration.architectures[architecture] else { return }  // `validate` names it
            (backbone.dimension, backbone.heads) = (shape.dimension, shape.heads)
        }
    }
    /// The student's and the teacher's ViT: its `imageSize` is the global crop's side, its `channels`
    /// the images' (1 for Fashion-MNIST and synthetic data).
    public var backbone = Self.defaultBackbone {
        didSet { head.inputDimension = backbone.dimension }
    }
    /// The DINO head on the backbone; its `inputDimension` follows `backbone.dimension`.
    public var head = HeadConfiguration(inputDimension: Self.defaultBackbone.dimension) {
        didSet { loss.outputDimension = head.outputDimension }
    }
    /// The loss over the head's `K` outputs (Eq. 1–3), with the centre's momentum and the temperatures;
    /// its `outputDimension` follows `head.outputDimension`, its `cropCount` the augmentation's crops.
    public var loss = LossConfiguration.paper
    /// The crops of every image: the local crops' size and number, the crops' scales, blur,
    /// solarisation and colour jitter.
    public var augmentation = AugmentationConfiguration() {
        didSet { loss.cropCount = loss.globalCropCount + augmentation.localCropsNumber }
    }

    // Optimisation
    /// Training epochs.
    public var epochs = 100
    /// Images per step: the global batch, shared equally by the ranks of a data-parallel run (chapter 10).
    public var batchSize = 64
    /// Base learning rate at batch 256 (scaled by batch/256).
    public var learningRate = 0.0005
    /// The cosine schedule's final learning rate.
    public var finalLearningRate = 1e-6
    /// Epochs of linear learning-rate warm-up.
    public var warmupEpochs = 10
    /// Weight decay at the start of the cosine schedule.
    public var weightDecay = 0.04
    /// Weight decay at the end.
    public var finalWeightDecay = 0.4
    /// Per-parameter gradient norm limit (0: no clipping).
    public var gradientClip: Float = 3.0
    /// Epochs during which the head's last layer is not updated.
    public var freezeLastLayer = 1
    /// The teacher momentum λ at the start (cosine to 1).
    public var teacherMomentum = 0.996

    // Crops
    /// Side of the global crops (the image size for Fashion-MNIST): the backbone's `imageSize`.
    public var globalCropSize: Int {
        get { backbone.imageSize }
        set { backbone.imageSize = newValue }
    }
    // Run
    /// The seed of every random choice.
    public var seed: UInt64 = 0
    /// Where and how the run computes: the path (the fast one; `.reference` is the book's plain code,
    /// for checking), the cores, and the large products' precision (`.bf16` needs AVX512_BF16).
    public var compute = ComputeSettings()
    /// Where checkpoints, metrics, charts and attention maps go.
    public var outputDir = "runs/dino"
    /// Keep a numbered copy of the checkpoint every N epochs (0: only the latest).
    public var numberedCheckpointEvery = 0
    /// Also checkpoint every N iterations within an epoch (0: at epoch ends only).
    public var checkpointEveryIterations = 0
    /// Evaluate k-NN every N epochs (0: only at the end).
    public var evalEvery = 1
    /// Neighbour counts for k-NN (k = 20 is the headline figure).
    public var knnK = [10, 20, 100, 200]
    /// k-NN vote temperature `T` (`eval_knn.py`'s 0.07).
    public var knnTemperature: Float = 0.07
    /// What the linear probe reads from the teacher's backbone (DINO's `--n_last_blocks`,
    /// `--avgpool_patchtokens`); `nil` for DINO's choice, see `probeReadout`. Optional, as the two below,
    /// so that checkpoints written before it existed still load.
    public var linearProbeReadout: FeatureReadout?
    /// Whether k-NN reads the linear probe's features (`true`) or the last class token alone, as DINO's
    /// `eval_knn.py` does (`nil` or `false`).
    public var knnOnProbeFeatures: Bool?
    /// Whether ranks sum the gradients in buckets during the backward pass, as `DistributedDataParallel`
    /// does (`nil` or `true`), or in one all-reduce after it (`false`); the result is the same (chapter 10).
    public var overlapCommunication: Bool?

    /// The linear probe's readout: the one given, else DINO's for small ViTs, the class tokens of the last
    /// 4 blocks (all of them in a shallower backbone).
    public var probeReadout: FeatureReadout {
        linearProbeReadout ?? FeatureReadout(lastBlocks: min(FeatureReadout.linearProbe.lastBlocks, max(1, backbone.depth)), averagePooledPatches: false)
    }

    /// The reference's defaults.
    public init() {
        loss.cropCount = loss.globalCropCount + augmentation.localCropsNumber
    }

    /// The reference's `vit_tiny` with 16-pixel patches on 224² images, here on one channel as
    /// Fashion-MNIST (the default dataset) has.
    static let defaultBackbone = ViTConfiguration(imageSize: 224, patchSize: 16, channels: 1, dimension: 192, depth: 12, heads: 3)

    /// The presets whose stated time was measured with bfloat16 products: they choose bf16 where the CPU has the
    /// kernel and float32 elsewhere (the portable bf16 path would be slower still), and say so.
    public static let presetsTimedInBFloat16: Set<String> = ["quick", "fashion"]

    /// The three presets: `quick` (the README's main job), `b1` (the benchmark configuration) and
    /// `fashion` (the recipe study's best recipe, within 2 hours on 2 cores).
    public static func preset(_ name: String) throws -> TrainingConfiguration {
        var c = TrainingConfiguration()
        // All three train on Fashion-MNIST at 28×28 with the B1 model (ViT 192-d, depth 6, patch 4, head to 4096),
        // `quick` and `fashion` with fewer blocks, `fashion` with larger patches.
        c.dataset = "fashion-mnist"
        (c.backbone.patchSize, c.backbone.depth, c.head.outputDimension) = (4, 6, 4096)
        (c.globalCropSize, c.augmentation.localCropSize, c.augmentation.localCropsNumber) = (28, 12, 6)
        (c.batchSize, c.warmupEpochs, c.seed) = (64, 1, 0)
        switch name {
        case "b1":
            (c.trainSubset, c.epochs) = (7680, 10)
        case "quick":
            // Sized to finish within 10 minutes on 2 cores in bf16 with a k-NN evaluation after every epoch
            // (on a smaller bank, so that each takes seconds): the recipe study's cheap findings on the
            // 4-pixel model — batch 32 (twice the steps per image), a faster teacher (λ from 0.99), K = 1 024,
            // no Gaussian blur — with 4 blocks, a higher learning rate, and 2 800 steps over 22 400 images.
            // Measured in Benchmarks/results/quick-preset.md; in float32 it takes about 3.6 times as long.
            (c.trainSubset, c.epochs, c.backbone.depth, c.learningRate, c.teacherMomentum) = (22_400, 4, 4, 0.001, 0.99)
            (c.batchSize, c.head.outputDimension, c.augmentation.blurProbabilities) = (32, 1024, [0, 0, 0])
            (c.evalTrainSubset, c.evalTestSubset, c.evalEvery, c.knnK) = (10_000, 2_000, 1, [KNNClassifier.headlineK])
            c.outputDir = "runs/quick"
        case "fashion":
            // The recipe study's findings (Benchmarks/results/recipe-study.md) on the whole training set:
            // 7-pixel patches (a 4×4 grid: better features at a third of the cost), local crops of 14² to
            // fit them, four blocks (as good as six epoch for epoch, each epoch a quarter cheaper), batch 32
            // (twice the steps for the same time), a faster teacher (λ from 0.99), K = 1024, and no Gaussian
            // blur, which teaches 28² images nothing and costs 8% of an epoch. 37 epochs of 1 875 steps, the
            // length that fits two hours on 2 cores in bfloat16 products, evaluations included; longer, the
            // curve is flat (Benchmarks/results/records.md has the run and the shorter ones). Where the CPU
            // lacks the bf16 kernel it runs in float32 (`presetsTimedInBFloat16`), and its first line says which.
            (c.backbone.patchSize, c.backbone.depth, c.augmentation.localCropSize, c.batchSize) = (7, 4, 14, 32)
            (c.epochs, c.teacherMomentum, c.head.outputDimension, c.augmentation.blurProbabilities) = (37, 0.99, 1024, [0, 0, 0])
            c.outputDir = "runs/fashion"
        default:
            throw ConfigurationError("unknown preset '\(name)'; expected quick, b1 or fashion")
        }
        if name == "b1" { c.outputDir = "runs/b1" }
        if presetsTimedInBFloat16.contains(name) { c.compute.precision = MatrixPrecision.bf16KernelIsAvailable ? .bf16 : .fp32 }
        return c
    }

    /// The longest run accepted: far beyond DINO's 800 epochs, and small enough that no count of
    /// iterations overflows.
    public static let maximumEpochs = 100_000

    /// The most images a dataset, subset or batch may have: 2³¹ − 1, far beyond any CPU run, and small
    /// enough that no size computed from it overflows.
    public static let maximumImages = Int(Int32.max)

    /// Throws a message naming the first option, or combination, that cannot work. The messages use the
    /// command line's names, since that is where a user sets them.
    public func validate() throws {
        guard ["fashion-mnist", "synthetic", "folder"].contains(dataset) else {
            throw ConfigurationError("unknown dataset '\(dataset)'; expected fashion-mnist, synthetic or folder")
        }
        if dataset == "folder", dataPath == nil { throw ConfigurationError("--dataset folder needs --data-path ROOT (ImageFolder layout: ROOT/<class>/<images>)") }
        guard backbone.channels == 1 || backbone.channels == 3 else { throw ConfigurationError("channels must be 1 or 3, got \(backbone.channels)") }
        guard dataset == "folder" || backbone.channels == 1 else {
            throw ConfigurationError("\(dataset) images have 1 channel, got --channels \(backbone.channels) (it applies to --dataset folder)")
        }
        guard batchSize > 0 else { throw ConfigurationError("batch size must be positive, got \(batchSize)") }
        guard epochs > 0, epochs <= Self.maximumEpochs else {
            throw ConfigurationError("epochs must be between 1 and \(Self.maximumEpochs), got \(epochs)")
        }
        guard batchSize <= Self.maximumImages else { throw ConfigurationError("batch size must be at most \(Self.maximumImages), got \(batchSize)") }
        guard warmupEpochs >= 0, warmupEpochs <= epochs else {
            throw ConfigurationError("learning-rate warm-up of \(warmupEpochs) epochs is longer than the run (\(epochs) epochs)")
        }
        guard freezeLastLayer >= 0 else { throw ConfigurationError("freeze-last-layer must be 0 or more, got \(freezeLastLayer)") }
        guard learningRate > 0, finalLearningRate >= 0 else {
            throw ConfigurationError("learning rates must be positive, got lr \(learningRate), min-lr \(finalLearningRate)")
        }
        guard weightDecay >= 0, finalWeightDecay >= 0 else { throw ConfigurationError("weight decay must be 0 or more") }
        guard gradientClip >= 0 else { throw ConfigurationError("clip-grad must be 0 (off) or positive, got \(gradientClip)") }
        guard (0...1).contains(teacherMomentum) else { throw ConfigurationError("momentum-teacher must be in [0, 1], got \(teacherMomentum)") }
        guard compute.threads >= 1 else { throw ConfigurationError("threads must be at least 1, got \(compute.threads)") }
        if compute.precision == .bf16 {
            guard compute.path != .reference else {
                throw ConfigurationError("--precision bf16 runs on the fast path; the reference path computes in fp32 only")
            }
        }
        guard numberedCheckpointEvery >= 0, checkpointEveryIterations >= 0, evalEvery >= 0 else {
            throw ConfigurationError("saveckp-freq, checkpoint-every-iterations and eval-every must be 0 (off) or more")
        }
        guard knnK.allSatisfy({ $0 > 0 }), !knnK.isEmpty else { throw ConfigurationError("k-NN k values must be positive, got \(knnK)") }
        guard knnTemperature > 0, knnTemperature.isFinite else { throw ConfigurationError("k-NN temperature must be positive, got \(knnTemperature)") }
        for (name, subset) in [("train-subset", trainSubset), ("eval-train-subset", evalTrainSubset), ("eval-test-subset", evalTestSubset)] {
            if let subset, subset <= 0 || subset > Self.maximumImages {
                throw ConfigurationError("\(name) must be between 1 and \(Self.maximumImages), got \(subset)")
            }
        }
        // The nested parts agree: they do unless a saved configuration was edited by hand.
        guard let shape = ViTConfiguration.architectures[architecture] else {
            throw ConfigurationError("unknown architecture '\(architecture)'; expected one of \(ViTConfiguration.architectures.keys.sorted().joined(separator: ", "))")
        }
        guard (backbone.dimension, backbone.heads) == (shape.dimension, shape.heads) else {
            throw ConfigurationError("the backbone (\(backbone.dimension)-d, \(backbone.heads) heads) is not \(architecture)'s (\(shape.dimension)-d, \(shape.heads) heads)")
        }
        guard head.inputDimension == backbone.dimension else {
            throw ConfigurationError("the head takes \(head.inputDimension) features, the backbone gives \(backbone.dimension)")
        }
        guard loss.outputDimension == head.outputDimension else {
            throw ConfigurationError("the loss is over \(loss.outputDimension) outputs, the head gives K = \(head.outputDimension)")
        }
        guard loss.cropCount == loss.globalCropCount + augmentation.localCropsNumber else {
            throw ConfigurationError("the loss is over \(loss.cropCount) crops, the augmentation makes \(loss.globalCropCount + augmentation.localCropsNumber)")
        }
        try backbone.validate()
        try linearProbeReadout?.validate(depth: backbone.depth)
        try head.validate()
        try loss.validate(epochs: epochs)
        try augmentation.validate(globalCropSize: globalCropSize, patchSize: backbone.patchSize)
    }
}
