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
        // Our errors say what was wrong; one from the system (a file it could not open) is put in our words.
        let domain = (error as NSError).domain
        let text = "\(error)"
        let fromSystem = [NSCocoaErrorDomain, NSPOSIXErrorDomain].contains(domain) || text.contains("Error Domain=")
        let message = fromSystem ? describeSystemError(error, path: "a file") : text
        try? FileHandle.standardError.write(contentsOf: Data("error: \(rank)\(message)\n".utf8))
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
        @Flag(help: "With --resume: load a checkpoint whose tensors' checksums are missing (it was changed after it was written).")
        var allowUnverified = false

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
                    // (A precision given on the command line wins; else the run keeps its own.)
                    let (compute, savedRun) = (c.compute, try Checkpoint.configuration(of: checkpoint))
                    let precision = options.precision ?? savedRun.compute.precision
                    c = savedRun
                    (c.compute, c.outputDir) = (compute.with(precision: precision), givenFolder)
                } else if holdsARun && !restart {
                    throw DataError("""
                        \(folder.path) already holds a run (checkpoint.safetensors); pass --resume to continue it, \
                        --restart to start over there (its checkpoint is kept until the new run's first one replaces it), \
                        or another --output-dir
                        """)
                }
                // Before anything is loaded or allocated: a run that cannot fit is refused with the figures.
                try MemoryEstimate.check(c)
                let data = try loadData(c)
                if holdsARun && restart && world.rank == 0 {
                    // Only now that the new run can start: the old run's metrics are kept beside the new ones,
                    // not mixed into them (by rank 0, which writes the files). A refused restart changes nothing.
                    let metrics = folder.appendingPathComponent("metrics.jsonl")
                    if FileManager.default.fileExists(atPath: metrics.path) {
                        let previous = folder.appendingPathComponent("metrics.previous.jsonl")
                        guard rename(metrics.path, previous.path) == 0 else {
                            throw DataError("--restart: cannot move \(metrics.path) aside (\(String(cString: strerror(errno))))")
                        }
                    }
                }
                try sayOnce("DINO on \(c.dataset): \(data.train.count) training images \(data.train.channels)×\(data.train.height)×\(data.train.width), "
                      + "\(c.epochs) epochs of \(data.train.count / c.batchSize) steps, \(c.architecture) depth \(c.backbone.depth) patch \(c.backbone.patchSize), "
                      + "K = \(c.head.outputDimension), \(c.loss.cropCount) crops, \(c.compute.threads) threads"
                      + (c.compute.precision == .bf16 ? ", bfloat16 products" : ", float32 products")
                      + (world.size > 1 ? " on each of \(world.size) ranks" : "") + " → \(c.outputDir)")
                if c.compute.precision == .bf16, let note = MatrixPrecision.bf16Note { try sayOnce(note) }
                if !resume, let note = options.presetPrecisionNote() { try sayOnce(note) }
                let trainer = try DINOTrainer(configuration: c, train: data.train, test: data.test, bank: data.bank,
                                              resume: resume ? checkpoint : nil, allowUnverified: allowUnverified, communicator: world)
                if let dump = ProcessInfo.processInfo.environment["DINO_GRADIENT_DUMP"], world.rank == 0 {
                    trainer.gradientObserver = gradientDump(to: URL(fileURLWithPath: dump))
                }
                if !resume && world.rank == 0 { _ = try ComputeSettings.$current.withValue(c.compute) { try trainer.baselines() } }
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
        @Option(help: "Cores to compute on.") var threads = ComputeSettings().threads
        @Flag(help: "Load a checkpoint whose tensors' checksums are missing (it was changed after it was written).")
        var allowUnverified = false

        func run() throws {
            try reportingErrors {
                guard ["train", "test"].contains(split) else { throw ValidationError("--split must be train or test, got '\(split)'") }
                let outputURL = URL(fileURLWithPath: output)
                // Never overwrite the input, under any of its names (a symbolic link, "./", "..").
                let url = URL(fileURLWithPath: checkpoint)
                guard url.resolvingSymlinksInPath().standardizedFileURL.path != outputURL.resolvingSymlinksInPath().standardizedFileURL.path else {
                    throw ValidationError("--output \(output) is the checkpoint being read; name another file for the features")
                }
                try checkWritableAtomically(outputURL)  // before the minutes of computing what goes there
                let readout = FeatureReadout(lastBlocks: nLastBlocks, averagePooledPatches: avgpoolPatchtokens)
                let teacher = try TeacherUnderEvaluation(checkpoint: checkpoint, threads: threads, readout: readout, allowUnverified: allowUnverified)
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
        @Option(help: "Cores to compute on.") var threads = ComputeSettings().threads
        @Flag(help: "Load a checkpoint whose tensors' checksums are missing (it was changed after it was written).")
        var allowUnverified = false

        func run() throws {
            try reportingErrors {
                let saved = try Checkpoint.configuration(of: URL(fileURLWithPath: checkpoint))
                let readout = FeatureReadout(lastBlocks: nLastBlocks ?? saved.probeReadout.lastBlocks,
                                             averagePooledPatches: avgpoolPatchtokens ?? saved.probeReadout.averagePooledPatches)
                let teacher = try TeacherUnderEvaluation(checkpoint: checkpoint, threads: threads, readout: readout, allowUnverified: allowUnverified)
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
        @Option(help: "fast (the trainer's path) or reference (the book's plain code).") var path = ComputeSettings().path
        @Option(help: "The folder the walkthrough's figures are written to.") var figures = "figures"
        func run() { ComputeSettings.$current.withValue(ComputeSettings(path: path)) { chapter().main(arguments: ["--figures", figures]) } }
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
    init(checkpoint: String, threads: Int, readout: FeatureReadout, allowUnverified: Bool) throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
        warnAboutThreads(threads)
        let url = URL(fileURLWithPath: checkpoint)
        let c = try Checkpoint.configuration(of: url)
        try readout.validate(depth: c.backbone.depth)
        let data = try loadData(c)
        // Only the teacher's backbone is needed: no trainer, no run folder.
        var rng = SeededGenerator(seed: 0)
        var backbone = VisionTransformer(c.backbone, using: &rng)
        try Checkpoint.teacherBackbone(of: url, into: &backbone, allowUnverified: allowUnverified)
        let (mean, std) = Evaluation.statistics(dataset: c.dataset, train: data.train)
        self.backbone = backbone
        evaluation = try Evaluation(bank: data.bank, test: data.test, classCount: data.train.classNames.count, mean: mean, std: std,
                                    ks: c.knnK, temperature: c.knnTemperature, probeReadout: readout)
        self.threads = threads
    }

    /// `body` on the fast path, with these cores: this command's entry point binds its compute settings.
    func computing<Result>(_ body: () throws -> Result) rethrows -> Result {
        try ComputeSettings.$current.withValue(ComputeSettings(path: .fast, threads: threads)) { try body() }
    }
}

/// `DINO_GRADIENT_DUMP=FILE`: rank 0 writes the first step's gradients, averaged across the ranks and then
/// clipped (`averaged.NAME`, `clipped.NAME`), to FILE, so that a data-parallel run can be checked against
/// one process on the same global batch (`DataParallelTests`).
func gradientDump(to url: URL) -> (String, BackboneWithHead) throws -> Void {
    var written = [(name: String, tensor: Tensor)]()
    return { stage, gradients in
        let count = gradients.namedParameters.count
        guard written.count < 2 * count else { return }
        written += gradients.namedParameters.map { (stage + "." + $0.name, $0.tensor) }
        if written.count == 2 * count { try SafeTensors.write(written, to: url) }
    }
}
