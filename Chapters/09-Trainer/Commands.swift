import ArgumentParser
import DINO
import DINOTraining
import DINODistributed
import Foundation

/// `ch09-trainer`: train DINO (the default), extract features, or read the chapter.
struct DINOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ch09-trainer",
        abstract: "DINO self-supervised training of a Vision Transformer on the CPU.",
        discussion: """
            Quick start: `swift run -c release ch09-trainer train --preset quick` trains on Fashion-MNIST \
            (Debian package dataset-fashion-mnist) and writes checkpoints, metrics, charts and attention maps \
            to runs/quick.
            """,
        subcommands: [Train.self, Features.self, Evaluate.self, Walkthrough.self],
        defaultSubcommand: Train.self)
}

/// Writes a line to standard output at once (`print` buffers when the output is a pipe or a file);
/// throws when it cannot (a closed pipe, a full device).
func say(_ line: String) throws { try StandardOutput.write(line + "\n") }

/// Runs `body`, printing a failure as one clear line on standard error and exiting with status 1. In
/// a data-parallel run (`mpirun`) the failing rank names itself and stops every rank (`MPI_Abort`),
/// which would otherwise wait for it forever; a run that ends or is interrupted ends MPI on each rank.
func reportingErrors(_ body: () throws -> Void) throws {
    let world = Communicator.world
    do {
        try StandardOutput.checkOpen()
        // Built without Open MPI, each of mpirun's processes would train alone into the same folder.
        if let reason = Communicator.unavailabilityUnderMPIRun { throw ConfigurationError(reason) }
        try body()
        world.finish()
    } catch let error as CleanExit { throw error } catch let error as ExitCode { throw error } catch let interrupted as TrainingInterrupted {
        // Every rank agreed to stop (see `agreedStopSignal`); rank 0 says where the checkpoint is.
        if world.rank == 0 { try? FileHandle.standardError.write(contentsOf: Data("\(interrupted)\n".utf8)) }
        world.finish()
        throw ExitCode(interrupted.exitStatus)
    } catch {
        let rank = world.size > 1 ? "rank \(world.rank) of \(world.size): " : ""
        try? FileHandle.standardError.write(contentsOf: Data("error: \(rank)\(error)\n".utf8))
        if world.size > 1 { world.abortAll(status: 1) }
        throw ExitCode.failure
    }
}

/// Warns on standard error when `threads` exceeds this machine's cores: the extra threads would wait for
/// a core, and the run would be slower, not faster.
func warnAboutThreads(_ threads: Int) {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    guard threads > cores else { return }
    try? FileHandle.standardError.write(contentsOf: Data("warning: --threads \(threads) is more than this machine's \(cores) cores; the extra threads only wait\n".utf8))
}

/// Writes a line on rank 0 only: a data-parallel run reports once.
func sayOnce(_ line: String) throws {
    if Communicator.world.rank == 0 { try say(line) }
}

/// The training options under the reference's names (`main_dino.py`'s `--out_dim` is `--out-dim`), and
/// the one place they map onto the configuration's fields. Each one left out keeps the preset's (or
/// DINO's default) value.
struct TrainingOptions: ParsableArguments {
    @Option(help: "Start from a preset: quick (the README's main job, ≤ 10 min on 2 cores), b1 (the benchmark configuration) or fashion (the recipe study's best, 1 h 30 min on 2 cores).")
    var preset: String?
    @Option(help: "fashion-mnist, synthetic or folder (an ImageFolder root given with --data-path).") var dataset: String?
    @Option(help: "Fashion-MNIST's folder (default /usr/share/datasets/fashion-mnist) or the ImageFolder root.") var dataPath: String?
    @Option(help: "Train on the first N training images only.") var trainSubset: Int?
    @Option(help: "k-NN bank: the first N training images (default all).") var evalTrainSubset: Int?
    @Option(help: "k-NN queries: the first N test images (default all).") var evalTestSubset: Int?
    @Option(help: "Channels of folder images: 1 (grey) or 3 (RGB).") var channels: Int?
    @Option(help: "Backbone: vit_tiny (192-d, 3 heads), vit_small (384, 6) or vit_base (768, 12).") var arch: String?
    @Option(help: "Transformer blocks.") var depth: Int?
    @Option(help: "Patch side in pixels.") var patchSize: Int?
    @Option(help: "K, the head's output dimension (65536 in the paper).") var outDim: Int?
    @Option(help: "Fix the last layer's weight-norm g to 1 (true/false).") var normLastLayer: Bool?
    @Option(help: "Teacher EMA momentum λ at the start; cosine to 1.") var momentumTeacher: Double?
    @Option(help: "Teacher temperature τ_t after the warm-up.") var teacherTemp: Float?
    @Option(help: "Teacher temperature at the start of the warm-up.") var warmupTeacherTemp: Float?
    @Option(help: "Epochs of teacher-temperature warm-up.") var warmupTeacherTempEpochs: Int?
    @Option(help: "Weight decay at the start (cosine schedule).") var weightDecay: Double?
    @Option(help: "Weight decay at the end.") var weightDecayEnd: Double?
    @Option(help: "Per-parameter gradient-norm limit (0: off).") var clipGrad: Float?
    @Option(help: "Images per step: the global batch, shared by the ranks under mpirun.") var batchSize: Int?
    @Option(help: "Training epochs.") var epochs: Int?
    @Option(help: "Epochs during which the head's last layer is frozen.") var freezeLastLayer: Int?
    @Option(help: "Base learning rate at batch 256 (scaled by batch/256).") var lr: Double?
    @Option(help: "Epochs of linear learning-rate warm-up.") var warmupEpochs: Int?
    @Option(help: "Final learning rate of the cosine schedule.") var minLr: Double?
    @Option(help: "Stochastic-depth rate of the student's last block.") var dropPathRate: Float?
    @Option(help: "Side of the global crops (the image size).") var globalCropSize: Int?
    @Option(help: "Side of the local crops.") var localCropSize: Int?
    @Option(help: "Area range of the global crops, e.g. 0.4,1.") var globalCropsScale: String?
    @Option(help: "Number of local crops.") var localCropsNumber: Int?
    @Option(help: "Area range of the local crops, e.g. 0.05,0.4.") var localCropsScale: String?
    @Option(help: "Gaussian-blur probabilities of global crop 1, global crop 2 and each local crop (default 1,0.1,0.5).")
    var gaussianBlur: String?
    @Option(help: "Probability of solarising global crop 2 (default 0.2).") var solarizationProb: Double?
    @Option(help: "Colour-jitter strength: 1 (the default) is the paper's brightness and contrast 0.4; 0 turns it off.")
    var colorJitterStrength: Double?
    @Option(help: "Seed of every random choice.") var seed: UInt64?
    @Option(help: "Cores to compute on (1 or 2 here).") var threads: Int?
    @Option(help: "fast (OpenBLAS, the worker pool, AVX2 kernels) or reference (the book's plain code, far slower).")
    var path: ComputePath?
    @Option(help: """
        fp32 (the default) or bf16: bfloat16 operands with float32 sums in the large matrix products, as PyTorch's \
        autocast; needs a CPU with AVX512_BF16 (Intel Cooper Lake or later, AMD Zen 4 or later).
        """)
    var precision: MatrixPrecision?
    @Option(help: "Folder for checkpoints, metrics.jsonl, charts and attention.png.") var outputDir: String?
    @Option(help: "Keep a numbered checkpoint every N epochs (0: only the latest).") var saveckpFreq: Int?
    @Option(help: "Also checkpoint every N iterations within an epoch.") var checkpointEveryIterations: Int?
    @Option(help: "Run k-NN every N epochs (0: only at the end).") var evalEvery: Int?
    @Option(help: "Linear probe: the class tokens of the last N blocks (DINO's --n_last_blocks; default 4, or the depth if smaller).")
    var nLastBlocks: Int?
    @Option(help: "Linear probe: append the average-pooled patch tokens (true/false; DINO's --avgpool_patchtokens).")
    var avgpoolPatchtokens: Bool?
    @Option(help: "k-NN on the last class token (cls, as DINO's eval_knn) or on the linear probe's features (probe).")
    var knnFeatures: String?

    /// The preset (or DINO's defaults) with every given option applied.
    func configuration() throws -> TrainingConfiguration {
        var c = try preset.map(TrainingConfiguration.preset) ?? TrainingConfiguration()
        func numbers(_ text: String, _ name: String, count: Int) throws -> [Double] {
            let values = text.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard values.count == count else { throw ValidationError("--\(name) takes \(count) numbers separated by commas, got '\(text)'") }
            return values
        }
        func scale(_ text: String, _ name: String) throws -> [Double] { try numbers(text, name, count: 2) }
        if let v = dataset { c.dataset = v }
        if let v = dataPath { c.dataPath = v }
        if let v = trainSubset { c.trainSubset = v }
        if let v = evalTrainSubset { c.evalTrainSubset = v }
        if let v = evalTestSubset { c.evalTestSubset = v }
        // A folder of images is RGB unless told otherwise; Fashion-MNIST and synthetic images are grey.
        if let v = channels ?? (c.dataset == "folder" ? 3 : nil) { c.backbone.channels = v }
        if let v = arch { c.architecture = v }
        if let v = depth { c.backbone.depth = v }
        if let v = patchSize { c.backbone.patchSize = v }
        if let v = dropPathRate { c.backbone.dropPathRate = v }
        if let v = outDim { c.head.outputDimension = v }
        if let v = normLastLayer { c.head.normLastLayer = v }
        if let v = teacherTemp { c.loss.teacherTemperature = v }
        if let v = warmupTeacherTemp { c.loss.warmupTeacherTemperature = v }
        if let v = warmupTeacherTempEpochs { c.loss.warmupTeacherTemperatureEpochs = v }
        if let v = momentumTeacher { c.teacherMomentum = v }
        if let v = weightDecay { c.weightDecay = v }
        if let v = weightDecayEnd { c.finalWeightDecay = v }
        if let v = clipGrad { c.gradientClip = v }
        if let v = batchSize { c.batchSize = v }
        if let v = epochs { c.epochs = v }
        if let v = freezeLastLayer { c.freezeLastLayer = v }
        if let v = lr { c.learningRate = v }
        if let v = warmupEpochs { c.warmupEpochs = v }
        if let v = minLr { c.finalLearningRate = v }
        if let v = globalCropSize { c.globalCropSize = v }
        if let v = localCropSize { c.localCropSize = v }
        if let v = globalCropsScale { c.globalCropsScale = try scale(v, "global-crops-scale") }
        if let v = localCropsNumber { c.localCropsNumber = v }
        if let v = localCropsScale { c.localCropsScale = try scale(v, "local-crops-scale") }
        if let v = gaussianBlur { c.blurProbabilities = try numbers(v, "gaussian-blur", count: 3) }
        if let v = solarizationProb { c.solarizationProbability = v }
        if let v = colorJitterStrength { c.colorJitterStrength = v }
        if let v = seed { c.seed = v }
        if let v = threads { c.threads = v }
        if let v = path { c.path = v }
        if let v = precision { c.precision = v }
        if let v = outputDir { c.outputDir = v }
        if let v = saveckpFreq { c.numberedCheckpointEvery = v }
        if let v = checkpointEveryIterations { c.checkpointEveryIterations = v }
        if let v = evalEvery { c.evalEvery = v }
        if nLastBlocks != nil || avgpoolPatchtokens != nil {
            c.linearProbeReadout = FeatureReadout(lastBlocks: nLastBlocks ?? c.probeReadout.lastBlocks,
                                                  averagePooledPatches: avgpoolPatchtokens ?? c.probeReadout.averagePooledPatches)
        }
        if let v = knnFeatures { c.knnOnProbeFeatures = try knnReadsProbeFeatures(v) }
        warnAboutThreads(c.threads)
        try c.validate()
        return c
    }
}

/// `--knn-features`: `cls` (the last class token) or `probe` (the linear probe's features).
func knnReadsProbeFeatures(_ text: String) throws -> Bool {
    switch text {
    case "cls": return false
    case "probe": return true
    default: throw ValidationError("--knn-features must be cls or probe, got '\(text)'")
    }
}

/// The datasets a configuration names: training images, k-NN bank, k-NN queries.
func loadData(_ c: TrainingConfiguration) throws -> (train: ImageDataset, bank: ImageDataset, test: ImageDataset) {
    switch c.dataset {
    case "synthetic":
        let train = SyntheticShapes.make(count: c.trainSubset ?? 2560, size: c.globalCropSize, seed: c.seed)
        let test = SyntheticShapes.make(count: c.evalTestSubset ?? 500, size: c.globalCropSize, seed: c.seed &+ 1)
        return (train, train.prefix(c.evalTrainSubset ?? train.count), test)
    case "folder":
        let root = c.dataPath ?? "."  // `validate` requires it for folders
        let hasSplits = ["train", "val"].allSatisfy { FileManager.default.fileExists(atPath: "\(root)/\($0)") }
        let all = try ImageFolder.load(root: hasSplits ? "\(root)/train" : root, imageSize: c.globalCropSize, channels: c.backbone.channels)
        // The validation split is labelled by the training split's class names, matched by name.
        let test = hasSplits ? try ImageFolder.load(root: "\(root)/val", imageSize: c.globalCropSize, channels: c.backbone.channels,
                                                    classNames: all.classNames) : all
        let train = c.trainSubset.map { all.prefix($0) } ?? all
        return (train, all.prefix(c.evalTrainSubset ?? all.count), test.prefix(c.evalTestSubset ?? test.count))
    default:
        let folder = c.dataPath ?? FashionMNIST.defaultFolder
        let all = try FashionMNIST.load(.train, folder: folder)
        let test = try FashionMNIST.load(.test, folder: folder)
        guard all.height == c.globalCropSize else {
            throw ConfigurationError("Fashion-MNIST images are \(all.height)×\(all.width); use --global-crop-size \(all.height)")
        }
        return (all.prefix(c.trainSubset ?? all.count), all.prefix(c.evalTrainSubset ?? all.count), test.prefix(c.evalTestSubset ?? test.count))
    }
}

extension DINOCommand {
    /// `ch09-trainer train`: DINO training with evaluation, checkpoints, metrics and attention maps.
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Train DINO (the default command).")

        @OptionGroup var options: TrainingOptions
        @Flag(help: "Continue the run in --output-dir from its checkpoint.safetensors, with the options saved there.")
        var resume = false
        @Flag(help: "Start a new run in an --output-dir that holds one; its checkpoint is kept until the new run's first replaces it.")
        var restart = false

        func run() throws {
            try reportingErrors {
                var c = try options.configuration()
                guard !(resume && restart) else { throw ValidationError("--resume and --restart exclude each other: continue the run, or start over") }
                // The folder is resolved once, here: everything this process writes goes there.
                guard !c.outputDir.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw ValidationError("--output-dir is empty; name the folder for the run's checkpoints and metrics")
                }
                let (givenFolder, folder) = (c.outputDir, URL(fileURLWithPath: c.outputDir).standardizedFileURL)
                let world = Communicator.world
                // The folder belongs to the run, held by its rank 0 (its other ranks write nothing there).
                let lock = world.rank == 0 ? try RunFolderLock(folder: folder) : nil
                StopSignals.install()
                defer { withExtendedLifetime(lock) {} }
                let checkpoint = folder.appendingPathComponent("checkpoint.safetensors")
                let holdsARun = FileManager.default.fileExists(atPath: checkpoint.path)
                if resume {
                    guard holdsARun else { throw DataError("--resume: no checkpoint at \(checkpoint.path)") }
                    // The run's options come from the checkpoint; where and how this process computes, from the command line.
                    let (threads, path, precision) = (c.threads, c.path, c.precision)
                    c = try Checkpoint.configuration(of: checkpoint)
                    (c.threads, c.path, c.outputDir) = (threads, path, givenFolder)
                    if let precision { c.precision = precision }
                } else if holdsARun && restart {
                    // The old run's metrics are kept beside the new ones, not mixed into them (by rank 0, which writes the files).
                    let metrics = folder.appendingPathComponent("metrics.jsonl")
                    if world.rank == 0, FileManager.default.fileExists(atPath: metrics.path) {
                        let previous = folder.appendingPathComponent("metrics.previous.jsonl")
                        guard rename(metrics.path, previous.path) == 0 else {
                            throw DataError("--restart: cannot move \(metrics.path) aside (\(String(cString: strerror(errno))))")
                        }
                    }
                } else if holdsARun {
                    throw DataError("""
                        \(folder.path) already holds a run (checkpoint.safetensors); pass --resume to continue it, \
                        --restart to start over there (its checkpoint is kept until the new run's first one replaces it), \
                        or another --output-dir
                        """)
                }
                // Before anything is loaded or allocated: a run that cannot fit is refused with the figures.
                try MemoryEstimate.check(c)
                let data = try loadData(c)
                try sayOnce("DINO on \(c.dataset): \(data.train.count) training images \(data.train.channels)×\(data.train.height)×\(data.train.width), "
                      + "\(c.epochs) epochs of \(data.train.count / c.batchSize) steps, \(c.architecture) depth \(c.backbone.depth) patch \(c.backbone.patchSize), "
                      + "K = \(c.head.outputDimension), \(2 + c.localCropsNumber) crops, \(c.threads) threads"
                      + (c.precision == .bf16 ? ", bfloat16 products" : "")
                      + (world.size > 1 ? " on each of \(world.size) ranks" : "") + " → \(c.outputDir)")
                let trainer = try DINOTrainer(configuration: c, train: data.train, test: data.test, bank: data.bank,
                                              resume: resume ? checkpoint : nil, communicator: world)
                if !resume && world.rank == 0 { _ = try c.withComputeSettings { try trainer.baselines() } }
                try trainer.fit()
                try sayOnce("done: checkpoint, teacher_backbone.safetensors, metrics.jsonl, loss.svg, knn.svg, knn-time.svg, monitor.svg, attention.png in \(c.outputDir)")
            }
        }
    }

    /// `ch09-trainer features`: the teacher backbone's features of a dataset, to safetensors.
    struct Features: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the teacher's features and the labels of a dataset to safetensors.")

        @Option(help: "A checkpoint.safetensors written by `train`.") var checkpoint: String
        @Option(help: "train or test.") var split = "test"
        @Option(help: "Where to write the features (keys: features (N, D·(n + pooled)), labels (N)).") var output: String
        @Option(help: "The class tokens of the last N blocks, side by side (1: the last class token, what k-NN uses).") var nLastBlocks = 1
        @Flag(help: "Append the average-pooled patch tokens of the last block.") var avgpoolPatchtokens = false
        @Option(help: "Cores to compute on.") var threads = 2

        func run() throws {
            try reportingErrors {
                guard ["train", "test"].contains(split) else { throw ValidationError("--split must be train or test, got '\(split)'") }
                let outputURL = URL(fileURLWithPath: output)
                // Never overwrite the input, under any of its names (a symbolic link, "./", "..").
                let url = URL(fileURLWithPath: checkpoint)
                guard url.resolvingSymlinksInPath().standardizedFileURL.path != outputURL.resolvingSymlinksInPath().standardizedFileURL.path else {
                    throw ValidationError("--output \(output) is the checkpoint being read; name another file for the features")
                }
                let readout = FeatureReadout(lastBlocks: nLastBlocks, averagePooledPatches: avgpoolPatchtokens)
                let teacher = try TeacherUnderEvaluation(checkpoint: checkpoint, threads: threads, readout: readout)
                let dataset = split == "train" ? teacher.evaluation.bank : teacher.evaluation.test
                let features = teacher.computing { teacher.evaluation.features(of: dataset, backbone: teacher.backbone, readout: readout) }
                try Evaluation.checkFinite(features, of: split)
                try SafeTensors.write([("features", features), ("labels", Tensor(dataset.labels.map(Float.init)))],
                                      metadata: ["classes": dataset.classNames.joined(separator: ","), "readout": readout.description],
                                      to: outputURL)
                try say("wrote \(features.shape) features (\(readout.description)) and \(dataset.count) labels to \(output)")
            }
        }
    }

    /// `ch09-trainer evaluate`: DINO's evaluation of a checkpoint's teacher, beside the raw pixels.
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "k-NN and the linear probe of a checkpoint's teacher, beside raw pixels, on the run's evaluation split.")

        @Option(help: "A checkpoint.safetensors written by `train`.") var checkpoint: String
        @Option(help: "Linear probe: the class tokens of the last N blocks (default: the run's, else 4 or the depth).") var nLastBlocks: Int?
        @Option(help: "Linear probe: append the average-pooled patch tokens (true/false; default: the run's, else false).")
        var avgpoolPatchtokens: Bool?
        @Option(help: "Cores to compute on.") var threads = 2

        func run() throws {
            try reportingErrors {
                let saved = try Checkpoint.configuration(of: URL(fileURLWithPath: checkpoint))
                let readout = FeatureReadout(lastBlocks: nLastBlocks ?? saved.probeReadout.lastBlocks,
                                             averagePooledPatches: avgpoolPatchtokens ?? saved.probeReadout.averagePooledPatches)
                let teacher = try TeacherUnderEvaluation(checkpoint: checkpoint, threads: threads, readout: readout)
                let evaluation = teacher.evaluation
                try say("\(checkpoint): \(evaluation.bank.count) training images as the bank and the probe's training set, \(evaluation.test.count) test images")
                let (bankFeatures, queryFeatures) = teacher.computing {
                    (evaluation.features(of: evaluation.bank, backbone: teacher.backbone, readout: readout),
                     evaluation.features(of: evaluation.test, backbone: teacher.backbone, readout: readout))
                }
                try Evaluation.checkFinite(bankFeatures, of: "training")
                try Evaluation.checkFinite(queryFeatures, of: "test")
                let lastClassToken = readout.lastClassTokenColumns(dimension: teacher.backbone.configuration.dimension)
                let (baselines, probeValues, knnOnProbe) = teacher.computing {
                    (evaluation.rawPixelBaselines(),
                     evaluation.scores(bankFeatures: bankFeatures, queryFeatures: queryFeatures, knnColumns: lastClassToken, linearProbe: true),
                     evaluation.scores(bankFeatures: bankFeatures, queryFeatures: queryFeatures, knnColumns: 0..<bankFeatures.shape[1], linearProbe: false))
                }
                let cell = { (value: Double?) in value.map { String(format: "%6.2f%%", $0) } ?? "      –" }
                try say("| features | k-NN top-1 (k = 20) | linear probe |")
                try say("|---|---|---|")
                try say("| raw normalised pixels | \(cell(baselines["baseline_raw_pixels"])) | \(cell(baselines["baseline_raw_pixels_linear_probe"])) |")
                try say("| teacher: class token of the last block | \(cell(probeValues["knn_top1"])) | – |")
                try say("| teacher: \(readout.description) | \(cell(knnOnProbe["knn_top1"])) | \(cell(probeValues["linear_probe"])) |")
            }
        }
    }

    /// `ch09-trainer walkthrough`: the chapter, run step by step.
    struct Walkthrough: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run chapter 09's walkthrough (the book's page), on synthetic data.")
        @Option(help: "fast (the trainer's path) or reference (the book's plain code).") var path = ComputePath.fast
        @Option(help: "The folder the walkthrough's figures are written to.") var figures = "figures"
        func run() { ComputePath.$current.withValue(path) { chapter().main(arguments: ["--figures", figures]) } }
    }
}

extension ComputePath: ExpressibleByArgument {}
extension MatrixPrecision: ExpressibleByArgument {}

/// A checkpoint's teacher backbone with the evaluation its run used (its data, normalisation and k-NN
/// settings), and the cores to compute on: what `features` and `evaluate` work from. Evaluation computes
/// in float32 whatever precision the run trained in (see `Evaluation`).
struct TeacherUnderEvaluation {
    /// The teacher's backbone, loaded from the checkpoint.
    let backbone: VisionTransformer
    /// The run's evaluation, reading features with the given readout for its linear probe.
    let evaluation: Evaluation
    let threads: Int

    /// Loads the checkpoint's options, data and teacher; throws a message naming what is wrong with
    /// the file, the readout or the thread count.
    init(checkpoint: String, threads: Int, readout: FeatureReadout) throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
        warnAboutThreads(threads)
        let url = URL(fileURLWithPath: checkpoint)
        let c = try Checkpoint.configuration(of: url)
        try readout.validate(depth: c.backbone.depth)
        let data = try loadData(c)
        // Only the teacher's backbone is needed: no trainer, no run folder.
        var rng = SeededGenerator(seed: 0)
        var backbone = VisionTransformer(c.backbone, using: &rng)
        try Checkpoint.teacherBackbone(of: url, into: &backbone)
        let (mean, std) = Evaluation.statistics(dataset: c.dataset, train: data.train)
        self.backbone = backbone
        evaluation = try Evaluation(bank: data.bank, test: data.test, classCount: data.train.classNames.count, mean: mean, std: std,
                                    ks: c.knnK, temperature: c.knnTemperature, probeReadout: readout)
        self.threads = threads
    }

    /// `body` on the fast path, with these cores.
    func computing<Result>(_ body: () throws -> Result) rethrows -> Result {
        try ComputePath.$current.withValue(.fast) {
            try Parallel.$threadCount.withValue(threads) { try body() }
        }
    }
}
