import ArgumentParser
import DINO
import DINOTraining
import Foundation

/// `swift run -c release step-benchmark`: the B1 training step, measured as the PyTorch reference's
/// `bench_step.py` measures it, so the two can be compared side by side (`Benchmarks/compare_b1.sh`);
/// `--preset fashion` measures the `fashion` preset's step (7-pixel patches: 17 tokens a global crop).
///
/// The pure step runs on pre-made random crops in the steady state (epoch 5: past the warm-up, the last
/// layer trainable); steps during which other processes used the CPU are discarded, as the reference
/// does. It also measures the full pipeline (augmentation on a background thread), feature
/// extraction, the sgemm peak between the steps, and the peak memory.
@main
struct StepBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "step-benchmark", abstract: "Benchmark the DINO training step (B1, or the fashion preset's).")

    @Option(help: "Thread counts, comma-separated.") var threads = "2,1"
    @Option(help: "Clean steps to take the median of.") var steps = 20
    @Option(help: "Warm-up steps, not timed.") var warmup = 3
    @Option(help: "The shapes of the step: b1 (4-pixel patches, 12² local crops, K = 4 096, batch 64) or fashion (the preset's: 7-pixel patches, 14² local crops, K = 1 024, batch 32).")
    var preset = "b1"
    @Option(help: "Transformer depth (default: the preset's: 6 for b1, 4 for fashion).") var depth: Int?
    @Option(help: "Images per step (default: the preset's).") var batchSize: Int?
    @Flag(help: "Also print one JSON object with every figure.") var json = false
    @Flag(help: "Measure the pure step only (no pipeline, no feature extraction).") var stepOnly = false
    @Flag(help: "Take the steps and nothing else (no peak products between them, no pipeline, no features): the run to put under `perf record` (Benchmarks/profile_step.sh).")
    var profile = false
    @Option(help: "Images per step for the reference-path comparison (0: skip it).") var referenceBatch = 8
    @Option(help: "Matrix-product precision: fp32 or bf16 (bfloat16 operands, float32 sums; on the AVX-512 kernel where the CPU has AVX512_BF16, else the portable path).")
    var precision = MatrixPrecision.fp32

    /// Everything here measures the fast path, the one the trainer runs.
    func run() throws {
        if precision == .bf16, let note = MatrixPrecision.bf16Note { print(note) }
        try ComputeSettings.$current.withValue(ComputeSettings(path: .fast, precision: precision)) { try measure() }
    }

    /// The preset's configuration on synthetic images, with the depth and batch asked for.
    func configuration() throws -> TrainingConfiguration {
        guard ["b1", "fashion"].contains(preset) else { throw ValidationError("unknown --preset '\(preset)'; expected b1 or fashion") }
        var c = try TrainingConfiguration.preset(preset)
        c.backbone.depth = depth ?? c.backbone.depth
        c.batchSize = batchSize ?? c.batchSize
        guard c.backbone.depth >= 1, c.batchSize >= 1, c.batchSize <= 4096 else {
            throw ValidationError("--depth and --batch-size must be at least 1 (batch at most 4096); got \(c.backbone.depth) and \(c.batchSize)")
        }
        (c.epochs, c.outputDir) = (10, FileManager.default.temporaryDirectory.appendingPathComponent("dino-bench-\(getpid())").path)
        c.dataset = "synthetic"
        c.compute.precision = precision
        return c
    }

    /// The side of each crop a step sees: the two globals, then the locals.
    func cropSides(_ c: TrainingConfiguration) -> [Int] {
        [c.globalCropSize, c.globalCropSize] + Array(repeating: c.augmentation.localCropSize, count: c.augmentation.localCropsNumber)
    }

    func measure() throws {
        let c = try configuration()
        defer { try? FileManager.default.removeItem(atPath: c.outputDir) }
        let batchSize = c.batchSize
        let data = SyntheticShapes.make(count: batchSize * 10, size: 28, seed: 0)
        let flops = analyticFLOPsPerImage(c)
        var report: [String: Any] = ["flops_per_image": flops, "config": "\(preset), depth \(c.backbone.depth), batch \(batchSize)", "precision": precision.rawValue]
        print(String(format: "%@ step, depth %d, batch %d: model FLOPs per image per training step (analytic, as the reference counts): %.3f G",
                     preset, c.backbone.depth, batchSize, flops / 1e9))
        // The peak is that of the products the step runs: sgemm's, or the bfloat16 kernel's.
        let peakName = precision == .bf16 ? "bf16 GEMM" : "sgemm"
        for count in threads.split(separator: ",").compactMap({ Int($0) }) {
            let trainer = try DINOTrainer(configuration: c, train: data, test: data, bank: data, quiet: true)
            let (median, phases, clean, total, peak) = try ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: count)) {
                try pureSteps(trainer, crops: cropSides(c))
            }
            let imagesPerSecond = Double(batchSize) / median
            let gflops = flops * imagesPerSecond / 1e9
            let ofPeak = profile ? "" : String(format: " = %.0f%% of the %@ peak (%.1f GFLOPS, 2048³)", 100 * gflops / peak, peakName, peak)
            print(String(format: "threads %d: pure step %.3f s, %.1f img/s, %.1f GFLOPS%@, clean steps %d/%d",
                         count, median, imagesPerSecond, gflops, ofPeak, clean, total))
            print("   phases (median s): " + phases.sorted { $0.key < $1.key }.map { String(format: "%@ %.3f", $0.key, $0.value) }.joined(separator: ", "))
            var figures: [String: Any] = ["step_s": median, "images_per_s": imagesPerSecond, "gflops": gflops, "phases_s": phases, "clean_steps": clean]
            if !profile { figures.merge(["peak_gflops": peak, "peak": peakName, "fraction_of_peak": gflops / peak]) { $1 } }
            report["threads_\(count)"] = figures
            if stepOnly || profile { continue }
            let pipeline = try ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: count)) { try pipelineSteps(trainer) }
            let inference = ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: count)) { featureExtraction(trainer) }
            print(String(format: "   full pipeline with augmentation: %.1f img/s (%.0f%% of the pure step); feature extraction: %.1f img/s",
                         Double(batchSize) / pipeline, 100 * median / pipeline, inference))
            figures.merge(["pipeline_images_per_s": Double(batchSize) / pipeline, "inference_images_per_s": inference]) { $1 }
            report["threads_\(count)"] = figures
        }
        if referenceBatch > 0 && !profile {
            let trainer = try DINOTrainer(configuration: c, train: data, test: data, bank: data, quiet: true)
            let (reference, fast) = try pathComparison(trainer, crops: cropSides(c))
            print(String(format: "reference path: %.2f s per step of %d images; fast path on 1 thread: %.3f s: %.0f× as fast",
                         reference, referenceBatch, fast, reference / fast))
            report["reference_path"] = ["batch": referenceBatch, "reference_step_s": reference, "fast_step_s": fast, "speedup": reference / fast]
        }
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        report["peak_rss_mb"] = Double(usage.ru_maxrss) / 1024
        print(String(format: "peak resident memory: %.0f MB", Double(usage.ru_maxrss) / 1024))
        if json, let data = try? JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]) {
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// The median pure-step time over `steps` clean steps, with the median of each phase, and the peak
    /// of the step's products (GFLOPS; 0 under `--profile`): the median over one 2048³ product after each
    /// clean step, so that the step and the peak are measured over the same minutes (this machine's speed
    /// drifts by several percent within an hour, and a peak measured before the steps moved the fraction
    /// by ±3% between runs). `crops`: each crop's side.
    func pureSteps(_ trainer: DINOTrainer, crops: [Int]) throws -> (Double, [String: Double], Int, Int, Double) {
        var rng = SeededGenerator(seed: 1)
        let batchSize = trainer.configuration.batchSize
        let batches = (0..<4).map { _ in
            CropBatch(crops: crops.map { Tensor.normal([batchSize, 1, $0, $0], using: &rng) }, indices: [])
        }
        // The 2048³ product that measures the peak; under --profile none (nor its random operands).
        let (a, b) = profile ? (Tensor(zeros: [0]), Tensor(zeros: [0])) : (Tensor.normal([2048, 2048], using: &rng), Tensor.normal([2048, 2048], using: &rng))
        if !profile { _ = matmul(a, b) }
        var peaks = [Double]()
        trainer.state.epoch = 5
        trainer.state.iteration = 5 * trainer.loader.batchesPerEpoch
        var times = [Double](), phases = [String: [Double]](), total = 0
        for step in 0..<(warmup + 5 * steps) where times.count < steps {
            let interference = Interference()
            let start = ContinuousClock.now
            _ = try trainer.trainStep(batches[step % 4])
            let seconds = Self.seconds(ContinuousClock.now - start)
            guard step >= warmup else { continue }
            total += 1
            if interference.otherCPUSeconds() <= 0.05 * Double(max(1, Int(seconds))) {
                times.append(seconds)
                for (name, value) in trainer.lastStepPhases { phases[name, default: []].append(value) }
                if profile { continue }
                let start = ContinuousClock.now
                _ = matmul(a, b)
                peaks.append(2 * pow(2048, 3) / Self.seconds(ContinuousClock.now - start) / 1e9)
            }
        }
        if times.isEmpty { throw ValidationError("every step was disturbed by other processes; run on an idle machine") }
        return (Self.median(times), phases.mapValues(Self.median), times.count, total, peaks.isEmpty ? 0 : Self.median(peaks))
    }

    /// One B1 step of `referenceBatch` images on the reference path (the book's code) and the median of
    /// three on the fast path, one thread each: how much the fast path buys.
    func pathComparison(_ trainer: DINOTrainer, crops: [Int]) throws -> (reference: Double, fast: Double) {
        var rng = SeededGenerator(seed: 3)
        let batch = CropBatch(crops: crops.map { Tensor.normal([referenceBatch, 1, $0, $0], using: &rng) }, indices: [])
        trainer.state.epoch = 5
        trainer.state.iteration = 5 * trainer.loader.batchesPerEpoch
        func timed() throws -> Double {
            let start = ContinuousClock.now
            _ = try trainer.trainStep(batch)
            return Self.seconds(ContinuousClock.now - start)
        }
        let fast = try ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 1)) { try (0..<4).map { _ in try timed() }.dropFirst().sorted()[1] }
        let reference = try ComputeSettings.$current.withValue(ComputeSettings.current.with(path: .reference)) { try timed() }
        return (reference, fast)
    }

    /// Seconds per step with real crops made by the background loader: wall time over 8 steps after a
    /// warm-up, so any wait for the next batch counts.
    func pipelineSteps(_ trainer: DINOTrainer) throws -> Double {
        let prefetcher = Prefetcher(loader: trainer.loader, epoch: 6, first: 0)
        defer { prefetcher.stop() }
        for _ in 0..<warmup { if let batch = prefetcher.next() { _ = try trainer.trainStep(batch) } }
        let start = ContinuousClock.now
        var count = 0
        while count < 7, let batch = prefetcher.next() {
            _ = try trainer.trainStep(batch)
            count += 1
        }
        return Self.seconds(ContinuousClock.now - start) / Double(max(count, 1))
    }

    /// Teacher-backbone CLS features of 4000 images, batch 1000: images per second, best of 3.
    func featureExtraction(_ trainer: DINOTrainer) -> Double {
        var rng = SeededGenerator(seed: 2)
        let images = Tensor.normal([1000, 1, 28, 28], using: &rng)
        _ = trainer.model.teacher.backbone.features(images)
        var best = 0.0
        for _ in 0..<3 {
            let start = ContinuousClock.now
            for _ in 0..<4 { _ = trainer.model.teacher.backbone.features(images) }
            best = max(best, 4000 / Self.seconds(ContinuousClock.now - start))
        }
        return best
    }

    /// The reference's analytic count (`b1_common.analytic_step_flops_per_image`): student forward on
    /// all crops, its backward (2× forward, no gradient for the input images), teacher forward on the
    /// globals, and the loss's products.
    func analyticFLOPsPerImage(_ c: TrainingConfiguration) -> Double {
        let d = Double(c.backbone.dimension), p = Double(c.backbone.patchSize), hidden = Double(c.backbone.mlpRatio) * d
        func vit(_ side: Int) -> (patch: Double, total: Double) {
            let patches = pow(Double(side) / p, 2), tokens = patches + 1
            let patch = 2 * patches * p * p * d
            let block = 2 * tokens * d * 3 * d + 2 * tokens * tokens * d * 2 + 2 * tokens * d * d + 2 * tokens * d * hidden * 2
            return (patch, patch + Double(c.backbone.depth) * block)
        }
        let (headHidden, bottleneck, outputs) = (Double(c.head.hiddenDimension), Double(c.head.bottleneckDimension), Double(c.head.outputDimension))
        let head = 2 * (d * headHidden + headHidden * headHidden + headHidden * bottleneck + bottleneck * outputs)
        let (global, local) = (vit(c.globalCropSize), vit(c.augmentation.localCropSize))
        let (globals, locals) = (2.0, Double(c.augmentation.localCropsNumber))
        let studentForward = globals * global.total + locals * local.total + (globals + locals) * head
        let studentBackward = 2 * studentForward - (globals * global.patch + locals * local.patch)
        let teacherForward = globals * (global.total + head)
        let loss = 2 * globals * (globals + locals) * outputs
        return studentForward + studentBackward + teacherForward + 3 * loss
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

/// CPU seconds used by other processes since creation: busy time of the machine minus this process's
/// own (from `/proc`), as the reference's `Interference`.
struct Interference {
    let busy = Self.busyTicks(), own = Self.ownTicks()

    func otherCPUSeconds() -> Double {
        Double(max(0, (Self.busyTicks() - busy) - (Self.ownTicks() - own))) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func busyTicks() -> Int {
        guard let line = (try? String(contentsOfFile: "/proc/stat", encoding: .utf8))?.split(separator: "\n").first else { return 0 }
        let v = line.split(separator: " ").dropFirst().compactMap { Int($0) }
        return v.count > 6 ? v[0] + v[1] + v[2] + v[5] + v[6] : 0
    }

    static func ownTicks() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let end = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: end)...].split(separator: " ")
        return fields.count > 12 ? (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0) : 0
    }
}

extension MatrixPrecision: ExpressibleByArgument {}
