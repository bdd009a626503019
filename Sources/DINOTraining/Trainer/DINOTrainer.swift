import DINO
import DINODistributed
import Foundation

/// DINO's training loop: the student/teacher pair, the loss with its centre, AdamW with the schedules,
/// the crops, checkpoints, and the evaluation of the teacher's backbone after each epoch.
public final class DINOTrainer {
    /// The run's options.
    public let configuration: TrainingConfiguration
    /// Where the run is.
    public var state = TrainingState()
    /// Progress, metrics and charts.
    public let log: TrainingLog
    /// The student and its momentum teacher.
    public internal(set) var model: DINOViT
    /// The optimiser state.
    public private(set) var optimizer = AdamW()
    /// The loss and its centre.
    public internal(set) var criterion: DINOLoss
    /// The training images (unlabelled as far as DINO is concerned).
    public let train: ImageDataset
    /// The test images: validation loss and k-NN queries.
    public let test: ImageDataset
    /// The k-NN bank: training images with their labels.
    public let bank: ImageDataset
    /// The training batches.
    public let loader: CropLoader
    let validationLoader: CropLoader
    let learningRates: CosineSchedule, weightDecays: CosineSchedule, teacherMomenta: CosineSchedule
    /// k-NN, linear probe and baselines on the teacher's backbone.
    public let evaluation: Evaluation
    /// The ranks of a data-parallel run (chapter 10); a world of one by default.
    public let communicator: Communicator

    /// Seconds spent in each phase of the last training step (teacher forward, student forward, loss,
    /// backward, optimiser with clipping, EMA and centre): what the step benchmark reports.
    public private(set) var lastStepPhases: [String: Double] = [:]

    /// Called with the step's gradients after the ranks' average (`"averaged"`) and after clipping
    /// (`"clipped"`): how a data-parallel run's gradients are compared with one process's
    /// (`DINO_GRADIENT_DUMP`, `DataParallelTests`). Nil: nothing is called.
    public var gradientObserver: ((_ stage: String, _ gradients: BackboneWithHead) throws -> Void)?

    /// `checkpoint.safetensors` in the output folder.
    public var checkpointURL: URL { log.folder.appendingPathComponent("checkpoint.safetensors") }

    /// A trainer for `configuration` on `train` (k-NN: `test` queries against the `bank`), resumed from
    /// `resume` when given (refused without its checksums unless `allowUnverified`); `quiet` prints nothing.
    /// With a `communicator` of several ranks, this process trains its share of every batch and only rank 0
    /// prints and writes files.
    public init(configuration: TrainingConfiguration, train: ImageDataset, test: ImageDataset, bank: ImageDataset,
                resume: URL? = nil, allowUnverified: Bool = false, quiet: Bool = false, communicator: Communicator = .single) throws {
        try configuration.validate()
        try MemoryEstimate.check(configuration)
        guard configuration.batchSize % communicator.size == 0 else {
            throw ConfigurationError("--batch-size \(configuration.batchSize) is not divisible by the \(communicator.size) ranks; each rank takes an equal share of the batch")
        }
        self.configuration = configuration
        self.communicator = communicator
        (self.train, self.test, self.bank) = (train, test, bank)
        guard train.channels == configuration.backbone.channels else {
            throw ConfigurationError("images have \(train.channels) channels but the backbone takes \(configuration.backbone.channels); pass --channels \(train.channels)")
        }
        guard train.height == configuration.globalCropSize, train.width == configuration.globalCropSize else {
            throw ConfigurationError("images are \(train.height)×\(train.width) but the global crops are \(configuration.globalCropSize)²; pass --global-crop-size \(train.height) (or resize the images)")
        }
        guard train.count >= configuration.batchSize else {
            throw ConfigurationError("the training set has \(train.count) images, fewer than one batch of \(configuration.batchSize)")
        }
        for (name, dataset) in [("training", train), ("test", test), ("k-NN bank", bank)] { try dataset.checkFinite(name) }
        let (mean, std) = Evaluation.statistics(dataset: configuration.dataset, train: train)
        evaluation = try Evaluation(bank: bank, test: test, classCount: train.classNames.count, mean: mean, std: std,
                                ks: configuration.knnK, temperature: configuration.knnTemperature,
                                probeReadout: configuration.probeReadout, knnOnProbeFeatures: configuration.knnOnProbeFeatures ?? false)
        let augmentation = MultiCropAugmentation(configuration.augmentation, globalCropSize: configuration.globalCropSize, mean: mean, std: std)
        loader = CropLoader(dataset: train, augmentation: augmentation, batchSize: configuration.batchSize, seed: configuration.seed,
                            rank: communicator.rank, ranks: communicator.size)
        validationLoader = CropLoader(dataset: test, augmentation: augmentation,
                                      batchSize: min(configuration.batchSize, test.count), seed: configuration.seed ^ 0x5EED)
        var rng = SeededGenerator(seed: configuration.seed)
        model = DINOViT(backbone: configuration.backbone, head: configuration.head, using: &rng)
        criterion = try DINOLoss(configuration.loss, epochs: configuration.epochs)
        let iterations = loader.batchesPerEpoch
        learningRates = CosineSchedule(base: scaledLearningRate(base: configuration.learningRate, totalBatchSize: configuration.batchSize),
                                       final: configuration.finalLearningRate, epochs: configuration.epochs, iterationsPerEpoch: iterations,
                                       warmupEpochs: configuration.warmupEpochs)
        weightDecays = CosineSchedule(base: configuration.weightDecay, final: configuration.finalWeightDecay,
                                      epochs: configuration.epochs, iterationsPerEpoch: iterations)
        teacherMomenta = CosineSchedule(base: configuration.teacherMomentum, final: 1, epochs: configuration.epochs, iterationsPerEpoch: iterations)
        if let resume {
            state = try Checkpoint.load(from: resume, model: &model, optimizer: &optimizer, loss: &criterion, allowUnverified: allowUnverified)
            do { try state.validate(epochs: configuration.epochs, batchesPerEpoch: iterations) } catch let error as DataError {
                throw DataError("\(resume.path): \(error)")
            }
        }
        // Only now, with everything checked, does the run touch its folder.
        log = try TrainingLog(folder: URL(fileURLWithPath: configuration.outputDir), quiet: quiet || communicator.rank != 0,
                              writesFiles: communicator.rank == 0, resumedAtIteration: resume == nil ? nil : state.iteration)
        // A run killed while writing leaves its temporary file behind (`writeAtomically`'s `.NAME.tmp-PID`);
        // the finished files are intact, and no other process writes here (the command holds the folder's lock).
        for name in (try? FileManager.default.contentsOfDirectory(atPath: log.folder.path)) ?? [] where communicator.rank == 0 && name.hasPrefix(".") && name.contains(".tmp-") {
            try? FileManager.default.removeItem(at: log.folder.appendingPathComponent(name))
        }
        if let resume {
            try log.say("resumed from \(resume.path) at epoch \(state.epoch + 1), batch \(state.batch) (iteration \(state.iteration))")
        }
    }

    /// Runs from `state` to the last epoch with `configuration.compute` in force (a training run's
    /// entry point, where the compute settings are bound): each epoch trains, validates, evaluates when
    /// due, checkpoints and logs. A run resumed from a checkpoint continues exactly where it stopped.
    public func fit() throws {
        try ComputeSettings.$current.withValue(configuration.compute) { try runEpochs() }
    }

    private func runEpochs() throws {
        let c = configuration
        // A finished run resumed has no step left; it writes its export if a failure at its end missed it.
        let export = log.folder.appendingPathComponent("teacher_backbone.safetensors").path
        if state.epoch >= c.epochs, unreadableFileReason(export) != nil { try writeTeacherBackbone() }
        while state.epoch < c.epochs {
            var values = try trainEpoch()
            let evaluationStart = Date()
            let final = state.epoch == c.epochs - 1
            // Every rank holds the same teacher: rank 0 alone validates and reports; the ranks share the
            // evaluation's features.
            if communicator.rank == 0 { values["validation_loss"] = try validate() }
            if final || (c.evalEvery > 0 && (state.epoch + 1) % c.evalEvery == 0) {
                values.merge(try evaluate(final: final)) { $1 }
            }
            state.epoch += 1
            state.batch = 0
            state.addSeconds(since: evaluationStart)
            values["elapsed_seconds"] = state.seconds
            values["epoch"] = Double(state.epoch)
            values["iteration"] = Double(state.iteration)
            try saveCheckpoint(numbered: c.numberedCheckpointEvery > 0 && state.epoch % c.numberedCheckpointEvery == 0)
            do { try log.epoch(values) } catch {
                throw DataError("\(error); the checkpoint of epoch \(state.epoch) is saved: continue with --resume once the file is fixed")
            }
            var summary = String(format: "epoch %d/%d done: loss %.4f, validation loss %.4f", state.epoch, c.epochs,
                                 values["loss"] ?? .nan, values["validation_loss"] ?? .nan)
            if let knn = values["knn_top1"] {
                summary += String(format: ", k-NN top-1 %.2f%% (k = 20", knn)
                summary += log.rawPixelsAccuracy.map { String(format: "; raw pixels %.2f%%)", $0) } ?? ")"
            }
            summary += ", " + TrainingLog.duration(state.seconds ?? 0) + " into the run"
            try log.say(summary)
            // A signal during the evaluation: the epoch's checkpoint is written, stop here.
            if let signal = try agreedStopSignal(), state.epoch < c.epochs {
                throw TrainingInterrupted(signal: signal, epoch: state.epoch, batch: state.batch, checkpoint: checkpointURL)
            }
        }
    }

    /// Parameters AdamW never updates in this step: `g` of the last layer (norm_last_layer), and the
    /// whole last layer during the first `freeze_last_layer` epochs.
    func skippedParameters(epoch: Int) -> Set<String> {
        var skipped = Set(model.student.head.frozenParameterNames.map { "head." + $0 })
        if epoch < configuration.freezeLastLayer { skipped.formUnion(["head.last_layer.weight_g", "head.last_layer.weight_v"]) }
        return skipped
    }

    // snippet.training-step
    /// One step of DINO on a batch of crops; returns the step's metrics.
    public func trainStep(_ batch: CropBatch) throws -> [String: Double] {
        let (epoch, iteration) = (state.epoch, state.iteration)
        try checkFiniteInputs(batch, iteration: iteration)
        var clock = PhaseClock()
        let globals = Array(batch.crops[0..<2])
        // The teacher sees the two global crops, without DropPath and without a gradient: inference only.
        let teacherFeatures = model.teacher.backbone.features(Tensor.concatenated(globals))           // (2B, D)
        let teacherOutput = model.teacher.head.forward(teacherFeatures).output                        // (2B, K)
        clock.lap("teacher_forward")
        // The student sees every crop, one backbone pass per resolution, DropPath drawn for this step
        // (and for this rank: its rows are other images than rank 0's).
        var dropPath = SeededGenerator(seed: configuration.seed).substream(0xD000_0000_0000_0000 | UInt64(iteration))
        if communicator.rank > 0 { dropPath = dropPath.substream(UInt64(communicator.rank)) }
        let (studentFeatures, pass) = MultiCropPass.forward(model.student.backbone, crops: batch.crops, training: true, using: &dropPath)
        let (studentOutput, headSaved) = model.student.head.forward(studentFeatures)                  // (V·B, K)
        clock.lap("student_forward")
        let result = criterion(studentOutput: studentOutput, teacherOutput: teacherOutput, epoch: epoch)
        try checkFinite(result.loss, "the loss", iteration: iteration)
        clock.lap("loss")
        // Backward through the student only, then clipping, the frozen last layer, AdamW, EMA, centre.
        let (featureGradient, headGradient) = model.student.head.backward(result.studentGradient, saved: headSaved)
        var gradients: BackboneWithHead
        if communicator.size > 1, configuration.overlapCommunication ?? true {
            // Chapter 10: each part's gradients summed across the ranks while the backward pass goes on.
            let averaging = OverlappedAveraging(across: communicator)
            try averaging.send(headGradient, prefix: "head.")
            let backbone = try pass.backwardHandingOver(model.student.backbone, featureGradient: featureGradient, progress: averaging.poll) { part, prefix in
                try averaging.send(part, prefix: "backbone." + prefix)
            }
            gradients = BackboneWithHead(backbone: backbone, head: headGradient)
            clock.lap("backward")
            try averaging.finish(into: &gradients)
        } else {
            gradients = BackboneWithHead(backbone: pass.backward(model.student.backbone, featureGradient: featureGradient), head: headGradient)
            clock.lap("backward")
            try averageGradients(&gradients, across: communicator)  // chapter 10; nothing alone
        }
        clock.lap("all_reduce")
        try gradientObserver?("averaged", gradients)
        let norms = configuration.gradientClip > 0 ? clipGradientsPerParameter(&gradients, maximum: configuration.gradientClip) : [:]
        try gradientObserver?("clipped", gradients)
        if let bad = norms.first(where: { !$0.value.isFinite }) {
            try checkFinite(bad.value, "the gradient of student.\(bad.key)", iteration: iteration)
        }
        optimizer.step(&model.student, gradients: gradients, learningRate: Float(learningRates.value(at: iteration)),
                       weightDecay: Float(weightDecays.value(at: iteration)), skipping: skippedParameters(epoch: epoch))
        model.updateTeacher(teacherMomentum: Float(teacherMomenta.value(at: iteration)))
        // The centre follows the mean over the global batch: the ranks' sums added up (chapter 10).
        let teacherSum = try communicator.sum(teacherOutput.sumOverRows())
        criterion.updateCenter(teacherOutput: teacherOutput, sumAcrossWorkers: { _ in teacherSum }, workerCount: communicator.size)
        clock.lap("optimizer")
        lastStepPhases = clock.laps
        let s = result.statistics
        var extra = [String: Double]()
        if communicator.size > 1 { extra["all_reduce_seconds"] = clock.laps["all_reduce"] }
        return ["loss": Double(result.loss), "teacher_entropy": Double(s.teacherEntropy), "kl": Double(s.klDivergence),
                "mean_teacher_entropy": Double(s.meanDistributionEntropy), "lr": learningRates.value(at: iteration),
                "weight_decay": weightDecays.value(at: iteration), "teacher_momentum": teacherMomenta.value(at: iteration),
                "teacher_temperature": Double(criterion.teacherTemperature(epoch: epoch))].merging(extra) { $1 }
    }
    // snippet.end

    /// Seconds between successive laps.
    struct PhaseClock {
        var last = ContinuousClock.now
        var laps: [String: Double] = [:]
        mutating func lap(_ name: String) {
            let now = ContinuousClock.now
            let elapsed = now - last
            laps[name] = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            last = now
        }
    }

    /// Stops at the first NaN or infinity in the crops, naming the crop and the dataset image: a
    /// corrupt input would otherwise surface only as a non-finite loss, with no hint where it came from.
    func checkFiniteInputs(_ batch: CropBatch, iteration: Int) throws {
        for (view, crop) in batch.crops.enumerated() {
            guard let position = crop.scalars.firstIndex(where: { !$0.isFinite }) else { continue }
            let image = position / max(1, crop.count / max(1, crop.shape[0]))
            let source = image < batch.indices.count ? "dataset image \(batch.indices[image])" : "image \(image) of the batch"
            let kind = view < 2 ? "global" : "local"
            try checkFinite(crop.scalars[position], "the input: \(kind) crop \(view) (\(crop.shape.dropFirst().map(String.init).joined(separator: "×"))) of \(source)",
                            iteration: iteration)
        }
    }

    func checkFinite(_ value: Float, _ quantity: String, iteration: Int) throws {
        guard !value.isFinite else { return }
        throw TrainingError("""
            non-finite value at step \(iteration) (epoch \(state.epoch + 1), batch \(state.batch + 1)): \(quantity) is \(value.isNaN ? "nan" : "\(value)"); \
            stopping without writing a checkpoint; \(lastGoodCheckpoint). Lower --lr or check the input data.
            """)
    }

    /// The largest weight magnitude a checkpoint may hold. Weight decay keeps DINO's weights within a few
    /// units; a weight beyond this means the run has diverged, and its checkpoint would only mislead.
    public static let saneWeightMagnitude: Float = 1e5

    /// Where the last good checkpoint is and what position it holds, for the messages of a run that stops.
    var lastGoodCheckpoint: String {
        guard let json = try? SafeTensors.readMetadata(checkpointURL)["state"],
              let saved = try? JSONDecoder().decode(TrainingState.self, from: Data(json.utf8)) else { return "no checkpoint had been written yet" }
        return "the last good checkpoint is kept at \(checkpointURL.path) (epoch \(saved.epoch + 1), batch \(saved.batch), iteration \(saved.iteration))"
    }

    /// Throws unless every weight, optimiser moment and the centre are finite, and every weight is within
    /// `saneWeightMagnitude`: a diverged model is never written over the last good checkpoint.
    func checkSaneBeforeSaving() throws {
        var quantities = model.student.namedParameters.map { ("student." + $0.name, $0.tensor, true) }
        quantities += model.teacher.namedParameters.map { ("teacher." + $0.name, $0.tensor, true) }
        quantities += optimizer.firstMoments.sorted { $0.key < $1.key }.map { ("optimizer.exp_avg.student." + $0.key, $0.value, false) }
        quantities += optimizer.secondMoments.sorted { $0.key < $1.key }.map { ("optimizer.exp_avg_sq.student." + $0.key, $0.value, false) }
        quantities.append(("dino_loss.center", criterion.center.value, false))
        for (name, tensor, isWeight) in quantities {
            guard let bad = tensor.scalars.first(where: { !$0.isFinite || (isWeight && abs($0) > Self.saneWeightMagnitude) }) else { continue }
            let what = bad.isFinite ? "has magnitude \(abs(bad)), beyond \(Self.saneWeightMagnitude)" : "holds \(bad)"
            throw TrainingError("""
                at epoch \(state.epoch + 1), batch \(state.batch) (iteration \(state.iteration)) \(name) \(what): the run has diverged; \
                not writing a checkpoint; \(lastGoodCheckpoint). Lower --lr and resume from it, or start over.
                """)
        }
    }

    /// Trains from `state.batch` to the end of the epoch, checkpointing every
    /// `checkpointEveryIterations` steps when set.
    public func trainEpoch() throws -> [String: Double] {
        let batches = loader.batchesPerEpoch
        let prefetcher = Prefetcher(loader: loader, epoch: state.epoch, first: state.batch)
        defer { prefetcher.stop() }
        var sums = [String: Double](), count = 0
        var stepSeconds = [Double]()
        var warnedAboutCollapse = false
        var lastStepEnd = Date()
        while let batch = prefetcher.next() {
            let start = Date()
            var values = try trainStep(batch)
            if communicator.size > 1 { values["loss"] = try communicator.sum(values["loss"] ?? .nan) / Double(communicator.size) }
            let seconds = Date().timeIntervalSince(start)
            stepSeconds.append(seconds)
            state.batch += 1
            state.iteration += 1
            // The time between steps, the wait for the next batch included.
            state.addSeconds(since: lastStepEnd)
            lastStepEnd = Date()
            let recent = stepSeconds.suffix(10).reduce(0, +) / Double(min(stepSeconds.count, 10))
            values["images_per_second"] = Double(configuration.batchSize) / seconds
            values["epoch"] = Double(state.epoch)
            values["iteration"] = Double(state.iteration)
            let remaining = (configuration.epochs - state.epoch) * batches - state.batch
            try log.step(values, batch: state.batch, batchesPerEpoch: batches, epochs: configuration.epochs, secondsLeft: recent * Double(remaining))
            if !warnedAboutCollapse, state.iteration > 20, let warning = collapseWarning(values) {
                try log.say("warning: \(warning)")
                warnedAboutCollapse = true
            }
            for (key, value) in values { sums[key, default: 0] += value }
            count += 1
            if let signal = try agreedStopSignal() {
                try saveCheckpoint(numbered: false)
                throw TrainingInterrupted(signal: signal, epoch: state.epoch, batch: state.batch, checkpoint: checkpointURL)
            }
            if configuration.checkpointEveryIterations > 0, state.iteration % configuration.checkpointEveryIterations == 0, state.batch < batches {
                try saveCheckpoint(numbered: false)
            }
        }
        return sums.mapValues { $0 / Double(max(count, 1)) }
    }

    /// The signal that asks the run to stop, once every rank knows of one: `mpirun` forwards Ctrl-C to
    /// each rank, not at the same step, and a rank that stopped alone would leave the others waiting.
    func agreedStopSignal() throws -> Int32? {
        let pending = StopSignals.pending
        guard communicator.size > 1 else { return pending }
        return try communicator.sum(pending == nil ? 0 : 1) > 0 ? pending ?? SIGINT : nil
    }

    func collapseWarning(_ values: [String: Double]) -> String? {
        CollapseStatistics(teacherEntropy: Float(values["teacher_entropy"] ?? 1), klDivergence: Float(values["kl"] ?? 1),
                           meanDistributionEntropy: Float(values["mean_teacher_entropy"] ?? 1),
                           uniformEntropy: Float(Foundation.log(Double(configuration.head.outputDimension)))).collapseWarning
    }

    /// The DINO loss on augmented test crops (at most 4 batches, the same crops every time), without
    /// gradients, without DropPath and without touching the centre.
    public func validate() throws -> Double {
        let order = validationLoader.order(epoch: 0)
        var total = 0.0
        let batches = min(4, validationLoader.batchesPerEpoch)
        for index in 0..<batches {
            let batch = validationLoader.batch(epoch: 0, index: index, order: order)
            var noDraws = SeededGenerator(seed: 0)
            let teacher = model.teacher.head.forward(model.teacher.backbone.features(Tensor.concatenated(Array(batch.crops[0..<2])))).output
            let student = model.student.head.forward(
                MultiCropPass.forward(model.student.backbone, crops: batch.crops, training: false, using: &noDraws).features).output
            total += Double(criterion(studentOutput: student, teacherOutput: teacher, epoch: min(state.epoch, configuration.epochs - 1)).loss)
        }
        return total / Double(max(batches, 1))
    }

    /// `(x − mean)/std` per channel, with the run's statistics.
    public func normalized(_ images: Tensor) -> Tensor { evaluation.normalized(images) }

    /// The teacher backbone's CLS features `(N, D)` of a dataset (or another backbone's).
    public func features(of dataset: ImageDataset, backbone: VisionTransformer? = nil) -> Tensor {
        evaluation.features(of: dataset, backbone: backbone ?? model.teacher.backbone)
    }

    /// k-NN on the teacher backbone's features (test queries against the training bank), attention maps,
    /// and at the end the linear probe. Across ranks each computes its share of the features; rank 0
    /// votes, prints and writes.
    public func evaluate(final: Bool) throws -> [String: Double] {
        let values = try evaluation.evaluate(model.teacher.backbone, linearProbe: final, across: communicator)
        guard communicator.rank == 0 else { return values }
        let knnFeatures = evaluation.knnOnProbeFeatures ? evaluation.probeReadout.description : "teacher CLS"
        try log.say("k-NN (\(knnFeatures), T = \(configuration.knnTemperature)): " + configuration.knnK.sorted().map {
            String(format: "k = %d: %.2f%% top-1, %.2f%% top-5", $0, values["knn_top1_k\($0)"] ?? .nan, values["knn_top5_k\($0)"] ?? .nan)
        }.joined(separator: "; "))
        writeAttentionMaps()
        if let probe = values["linear_probe"] {
            try log.say(String(format: "linear probe on the frozen teacher's \(evaluation.probeReadout.description): %.2f%% top-1", probe))
        }
        return values
    }

    /// `attention.png`: the teacher's last-block CLS attention per head for the first 8 test images.
    public func writeAttentionMaps() {
        let images = test.batch(Array(0..<min(8, test.count)))
        let maps = lastBlockCLSAttention(model.teacher.backbone, images: normalized(images))
        log.writePicture(named: "attention.png") { try writeAttentionGrid(images: images, maps: maps, zoom: max(1, 112 / images.shape[2]), to: $0) }
    }

    /// The k-NN accuracy of two references, printed once at the start: raw normalised pixels, and the
    /// teacher at its random initialisation.
    public func baselines() throws -> [String: Double] {
        let values = evaluation.baselines(initialBackbone: model.teacher.backbone)
        try log.baselines(values)
        try log.say(String(format: "baselines, k-NN top-1 (k = 20): raw normalised pixels %.2f%%, randomly initialised ViT %.2f%%; linear probe on raw pixels %.2f%%",
                       values["baseline_raw_pixels"] ?? .nan, values["baseline_random_init"] ?? .nan, values["baseline_raw_pixels_linear_probe"] ?? .nan))
        return values
    }

    /// Writes `checkpoint.safetensors` (and `checkpointNNNN.safetensors` with `numbered`), plus the
    /// teacher's backbone alone under timm's names (`teacher_backbone.safetensors`), each atomically;
    /// refuses, keeping the last good checkpoint, when the model has diverged.
    public func saveCheckpoint(numbered: Bool) throws {
        try checkSaneBeforeSaving()
        guard communicator.rank == 0 else { return }  // one copy of the run, written by rank 0
        try Checkpoint.save(model: model, optimizer: optimizer, loss: criterion, state: state, configuration: configuration, to: checkpointURL)
        if numbered {
            try Checkpoint.save(model: model, optimizer: optimizer, loss: criterion, state: state, configuration: configuration,
                                to: log.folder.appendingPathComponent(String(format: "checkpoint%04d.safetensors", state.epoch)))
        }
        do { try writeTeacherBackbone() } catch {
            throw DataError("\(error); the checkpoint is saved (\(checkpointURL.path)): continue with --resume once the file is fixed")
        }
    }

    /// `teacher_backbone.safetensors`: the teacher's backbone alone, under timm's names (rank 0).
    func writeTeacherBackbone() throws {
        guard communicator.rank == 0 else { return }
        try SafeTensors.write(model.teacher.backbone.namedParameters, metadata: ["format": "pt"],
                              to: log.folder.appendingPathComponent("teacher_backbone.safetensors"))
    }
}
