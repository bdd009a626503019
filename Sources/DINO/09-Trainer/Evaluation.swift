import Foundation

/// How a backbone is judged without labels in training: the weighted k-NN of its CLS features (test
/// queries against the training bank), the linear probe, and the two baselines (raw normalised pixels, a
/// randomly initialised backbone). Images are normalised with the run's per-channel mean and std.
///
/// The trainer evaluates its teacher with it after each epoch; `ch09-trainer features` uses it alone on
/// a backbone loaded from a checkpoint.
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

    /// An evaluation of `test` against `bank`. Throws, naming the split, when the two differ in image
    /// size or channels, or a label is outside the `classCount` classes: the vote would index past them.
    public init(bank: ImageDataset, test: ImageDataset, classCount: Int, mean: [Float], std: [Float], ks: [Int], temperature: Float) throws {
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
        (self.ks, self.temperature) = (ks, temperature)
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

    /// The backbone's CLS features `(N, D)` of a dataset (of its images `rows` only, when given), in
    /// batches of 256.
    public func features(of dataset: ImageDataset, backbone: VisionTransformer, rows: Range<Int>? = nil) -> Tensor {
        let rows = rows ?? 0..<dataset.count
        var parts = [Tensor]()
        for start in stride(from: rows.lowerBound, to: rows.upperBound, by: 256) {
            parts.append(backbone.features(normalized(dataset.batch(Array(start..<min(start + 256, rows.upperBound))))))
        }
        return parts.isEmpty ? Tensor(zeros: [0, backbone.configuration.dimension]) : Tensor.concatenated(parts)
    }

    /// The features of every image of `dataset` on every rank, each rank computing a contiguous share:
    /// each writes its rows into zeros, and the sum across ranks is the whole matrix (chapter 10).
    public func features(of dataset: ImageDataset, backbone: VisionTransformer, across communicator: Communicator) throws -> Tensor {
        guard communicator.size > 1 else { return features(of: dataset, backbone: backbone) }
        let width = backbone.configuration.dimension
        let share = (dataset.count + communicator.size - 1) / communicator.size
        let start = min(dataset.count, communicator.rank * share), end = min(dataset.count, start + share)
        var all = [Float](repeating: 0, count: dataset.count * width)
        let mine = features(of: dataset, backbone: backbone, rows: start..<end)
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
        let bankFeatures = try features(of: bank, backbone: backbone, across: communicator)
        let queryFeatures = try features(of: test, backbone: backbone, across: communicator)
        try Self.checkFinite(bankFeatures, of: "training")
        try Self.checkFinite(queryFeatures, of: "test")
        guard communicator.rank == 0 else { return [:] }
        let results = KNNClassifier.evaluate(bank: bankFeatures, bankLabels: bank.labels, queries: queryFeatures, queryLabels: test.labels,
                                             classCount: classCount, ks: ks, temperature: temperature)
        var values = [String: Double]()
        for (k, accuracy) in results {
            values["knn_top1_k\(k)"] = accuracy.top1
            values["knn_top5_k\(k)"] = accuracy.top5
        }
        values["knn_top1"] = results[20]?.top1 ?? ks.first.flatMap { results[$0]?.top1 }
        if linearProbe {
            values["linear_probe"] = linearProbeAccuracy(trainFeatures: bankFeatures, trainLabels: bank.labels, testFeatures: queryFeatures,
                                                         testLabels: test.labels, classCount: classCount)
        }
        return values
    }

    /// The k-NN top-1 (k = 20) of raw normalised pixels and of `initialBackbone`: what training must beat.
    public func baselines(initialBackbone: VisionTransformer) -> [String: Double] {
        let pixels = { (d: ImageDataset) in self.normalized(d.batch(Array(0..<d.count))).reshaped([d.count, -1]) }
        let raw = KNNClassifier.evaluate(bank: pixels(bank), bankLabels: bank.labels, queries: pixels(test), queryLabels: test.labels,
                                         classCount: classCount, ks: [20], temperature: temperature)[20]?.top1 ?? .nan
        let random = KNNClassifier.evaluate(bank: features(of: bank, backbone: initialBackbone), bankLabels: bank.labels,
                                            queries: features(of: test, backbone: initialBackbone), queryLabels: test.labels,
                                            classCount: classCount, ks: [20], temperature: temperature)[20]?.top1 ?? .nan
        return ["baseline_raw_pixels": raw, "baseline_random_init": random]
    }
}
