import DINO
import DINODistributed
import Foundation

/// How a backbone is judged without labels in training, as DINO judges it: the weighted k-NN of its
/// last class token (test queries against the training bank, `eval_knn.py`), the linear probe on the
/// class tokens of its last blocks (`eval_linear.py`, see `FeatureReadout`), and the baselines (raw
/// normalised pixels under both, a randomly initialised backbone). Images are normalised with the run's
/// per-channel mean and std.
///
/// Every product here is in float32, whatever precision the run trains in: bfloat16 similarities move
/// neighbours in and out of the top k, and a probe trained on bfloat16 products lands elsewhere (one B1
/// checkpoint, evaluated both ways: 1.1 points of linear probe, 0.2 of k-NN). The figure must measure the
/// model, not the rounding.
///
/// The trainer evaluates its teacher with it after each epoch; `ch09-trainer features` and `evaluate`
/// use it alone on a backbone loaded from a checkpoint.
public struct Evaluation: Sendable {
    /// The k-NN bank: training images with their labels.
    public let bank: ImageDataset
    /// The queries: test images with their labels.
    public let test: ImageDataset
    /// The number of classes.
    public let classCount: Int
    /// Per-channel mean and standard deviation the images are normalised with.
    public let mean: [Float], std: [Float]
    /// Neighbour counts (k = 20 is the headline figure) and the vote temperature.
    public let ks: [Int], temperature: Float
    /// What the linear probe reads from the backbone.
    public let probeReadout: FeatureReadout
    /// Whether k-NN reads the linear probe's features too, instead of the last class token alone.
    public let knnOnProbeFeatures: Bool

    /// An evaluation of `test` against `bank`. Throws, naming the split, when the two differ in image
    /// size or channels, or a label is outside the `classCount` classes: the vote would index past them.
    public init(bank: ImageDataset, test: ImageDataset, classCount: Int, mean: [Float], std: [Float], ks: [Int], temperature: Float,
                probeReadout: FeatureReadout = .classToken, knnOnProbeFeatures: Bool = false) throws {
        guard (test.channels, test.height, test.width) == (bank.channels, bank.height, bank.width) else {
            throw DataError("""
                the test images are \(test.channels)×\(test.height)×\(test.width) but the training images \(bank.channels)×\(bank.height)×\(bank.width); \
                expected both splits at one size and channel count
                """)
        }
        guard mean.count == bank.channels, std.count == bank.channels else {
            throw DataError("normalisation statistics for \(mean.count) channels, the images have \(bank.channels)")
        }
        for (name, split) in [("training", bank), ("test", test)] {
            if let index = split.labels.firstIndex(where: { !(0..<classCount).contains($0) }) {
                throw DataError("\(name) image \(index) has label \(split.labels[index]), outside the \(classCount) classes")
            }
        }
        (self.bank, self.test, self.classCount, self.mean, self.std) = (bank, test, classCount, mean, std)
        (self.ks, self.temperature, self.probeReadout, self.knnOnProbeFeatures) = (ks, temperature, probeReadout, knnOnProbeFeatures)
    }

    /// The per-channel statistics a run normalises with: Fashion-MNIST's constants (its whole training
    /// split, as the reference), other data its own training images' statistics.
    public static func statistics(dataset: String, train: ImageDataset) -> (mean: [Float], std: [Float]) {
        dataset == "fashion-mnist" ? (FashionMNIST.mean, FashionMNIST.std) : train.channelStatistics()
    }

    /// `(x − mean)/std` per channel for a batch `(B, C, H, W)` of `[0, 1]` images.
    public func normalized(_ images: Tensor) -> Tensor {
        let plane = images.shape[2] * images.shape[3], channels = images.shape[1]
        return Tensor(shape: images.shape, scalars: images.scalars.enumerated().map { index, value in
            let c = index / plane % channels
            return (value - mean[c]) / std[c]
        })
    }

    /// The backbone's features `(N, readout.width(D))` of a dataset (of its images `rows` only, when
    /// given), in batches of 256: by default the last class token, `(N, D)`.
    public func features(of dataset: ImageDataset, backbone: VisionTransformer, rows: Range<Int>? = nil,
                         readout: FeatureReadout = .classToken) -> Tensor {
        let rows = rows ?? 0..<dataset.count
        var parts = [Tensor]()
        for start in stride(from: rows.lowerBound, to: rows.upperBound, by: 256) {
            let images = normalized(dataset.batch(Array(start..<min(start + 256, rows.upperBound))))
            parts.append(inFP32 { backbone.features(images, readout: readout) })
        }
        return parts.isEmpty ? Tensor(zeros: [0, readout.width(dimension: backbone.configuration.dimension)]) : Tensor.concatenated(parts)
    }

    /// The features of every image of `dataset` on every rank, each rank computing a contiguous share:
    /// each writes its rows into zeros, and the sum across ranks is the whole matrix (chapter 10).
    public func features(of dataset: ImageDataset, backbone: VisionTransformer, across communicator: Communicator,
                         readout: FeatureReadout = .classToken) throws -> Tensor {
        guard communicator.size > 1 else { return features(of: dataset, backbone: backbone, readout: readout) }
        let width = readout.width(dimension: backbone.configuration.dimension)
        let share = (dataset.count + communicator.size - 1) / communicator.size
        let start = min(dataset.count, communicator.rank * share), end = min(dataset.count, start + share)
        var all = [Float](repeating: 0, count: dataset.count * width)
        let mine = features(of: dataset, backbone: backbone, rows: start..<end, readout: readout)
        all.replaceSubrange(start * width..<end * width, with: mine.scalars)
        try communicator.sum(&all)
        return Tensor(shape: [dataset.count, width], scalars: all)
    }

    /// Throws unless every feature is finite: a diverged backbone gives NaN, and a vote over NaN
    /// similarities means nothing.
    public static func checkFinite(_ features: Tensor, of split: String) throws {
        guard let position = features.scalars.firstIndex(where: { !$0.isFinite }) else { return }
        let width = max(1, features.shape.last ?? 1)
        throw TrainingError("""
            the backbone's feature \(position % width) of \(split) image \(position / width) is \(features.scalars[position]); \
            the model has diverged, so there is nothing to evaluate (lower --lr, or resume from an earlier checkpoint)
            """)
    }

    /// k-NN top-1 and top-5 for every k (`knn_top1_k20`, …, and `knn_top1` for k = 20 or the first k),
    /// and with `linearProbe` the linear probe's accuracy (`linear_probe`). Throws when a feature is
    /// not finite. Across several ranks each computes its share of the features and rank 0 alone votes
    /// (the others get no values).
    public func evaluate(_ backbone: VisionTransformer, linearProbe: Bool, across communicator: Communicator = .single) throws -> [String: Double] {
        // One pass gives both: the last class token is a slice of the probe's features.
        let readout = linearProbe || knnOnProbeFeatures ? probeReadout : .classToken
        let bankFeatures = try features(of: bank, backbone: backbone, across: communicator, readout: readout)
        let queryFeatures = try features(of: test, backbone: backbone, across: communicator, readout: readout)
        try Self.checkFinite(bankFeatures, of: "training")
        try Self.checkFinite(queryFeatures, of: "test")
        guard communicator.rank == 0 else { return [:] }
        let knnColumns = knnOnProbeFeatures ? 0..<bankFeatures.shape[1] : readout.lastClassTokenColumns(dimension: backbone.configuration.dimension)
        return scores(bankFeatures: bankFeatures, queryFeatures: queryFeatures, knnColumns: knnColumns, linearProbe: linearProbe)
    }

    /// k-NN on the columns `knnColumns` of the features (`knn_top1_k20`, `knn_top5_k20`, …, and
    /// `knn_top1`) and, with `linearProbe`, the linear probe on all of them (`linear_probe`).
    public func scores(bankFeatures: Tensor, queryFeatures: Tensor, knnColumns: Range<Int>, linearProbe: Bool) -> [String: Double] {
        let results = inFP32 {
            KNNClassifier.evaluate(bank: bankFeatures.columns(knnColumns), bankLabels: bank.labels, queries: queryFeatures.columns(knnColumns),
                                   queryLabels: test.labels, classCount: classCount, ks: ks, temperature: temperature)
        }
        var values = [String: Double]()
        for (k, accuracy) in results {
            values["knn_top1_k\(k)"] = accuracy.top1
            values["knn_top5_k\(k)"] = accuracy.top5
        }
        values["knn_top1"] = results[KNNClassifier.headlineK]?.top1 ?? ks.first.flatMap { results[$0]?.top1 }
        if linearProbe {
            values["linear_probe"] = inFP32 {
                linearProbeAccuracy(trainFeatures: bankFeatures, trainLabels: bank.labels, testFeatures: queryFeatures, testLabels: test.labels, classCount: classCount)
            }
        }
        return values
    }

    /// The raw normalised pixels' k-NN top-1 (k = 20, `baseline_raw_pixels`) and linear probe
    /// (`baseline_raw_pixels_linear_probe`): what the features must beat.
    public func rawPixelBaselines() -> [String: Double] {
        inFP32 {
            let pixels = { (d: ImageDataset) in self.normalized(d.batch(Array(0..<d.count))).reshaped([d.count, -1]) }
            let (bankPixels, testPixels) = (pixels(bank), pixels(test))
            let knn = KNNClassifier.evaluate(bank: bankPixels, bankLabels: bank.labels, queries: testPixels, queryLabels: test.labels,
                                             classCount: classCount, ks: [KNNClassifier.headlineK], temperature: temperature)[KNNClassifier.headlineK]?.top1 ?? .nan
            let probe = linearProbeAccuracy(trainFeatures: bankPixels, trainLabels: bank.labels, testFeatures: testPixels,
                                            testLabels: test.labels, classCount: classCount)
            return ["baseline_raw_pixels": knn, "baseline_raw_pixels_linear_probe": probe]
        }
    }

    /// What training must beat: the raw pixels' baselines, and the k-NN top-1 (k = 20) of
    /// `initialBackbone`'s class token (`baseline_random_init`).
    public func baselines(initialBackbone: VisionTransformer) -> [String: Double] {
        let (bankFeatures, queryFeatures) = (features(of: bank, backbone: initialBackbone), features(of: test, backbone: initialBackbone))
        let random = inFP32 {
            KNNClassifier.evaluate(bank: bankFeatures, bankLabels: bank.labels, queries: queryFeatures, queryLabels: test.labels,
                                   classCount: classCount, ks: [KNNClassifier.headlineK], temperature: temperature)
        }[KNNClassifier.headlineK]?.top1 ?? .nan
        return rawPixelBaselines().merging(["baseline_random_init": random]) { $1 }
    }

    /// `body` with float32 matrix products.
    /// Evaluation's one binding of the compute settings, and why it is there: see the type's comment.
    private func inFP32<Result>(_ body: () -> Result) -> Result {
        ComputeSettings.$current.withValue(ComputeSettings.current.with(precision: .fp32), operation: body)
    }
}
