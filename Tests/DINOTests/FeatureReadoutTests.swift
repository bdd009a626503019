import DINO
import DINOTraining
import DINOTestSupport
import Foundation
import Testing

/// The features DINO evaluates (`eval_linear.py`): class tokens of the last blocks and pooled patches,
/// checked against the forward pass the book quotes.
@Suite struct FeatureReadoutTests {
    static func images(count: Int = 3) -> Tensor {
        var rng = SeededGenerator(seed: 31)
        return .normal([count, 1, 6, 6], using: &rng)
    }

    @Test func theClassTokenReadoutIsTheKNNFeature() {
        let model = tinyViT(depth: 3)
        let readout = model.features(Self.images(), readout: .classToken), plain = model.features(Self.images())
        // The same operations in the same order: the same bits.
        let report = compare(readout, plain, absolute: 0, relative: 0)
        #expect(readout.shape == [3, 8] && report.failures == 0, "expected the plain CLS features, got \(report) for shape \(readout.shape)")
    }

    /// The oracle is `forward`: the model cut after block L−1 gives the final norm of that block's tokens.
    @Test func lastBlocksAndPooledPatchesAgreeWithTheForwardPass() {
        let model = tinyViT(depth: 3)
        let images = Self.images()
        var rng = SeededGenerator(seed: 0)
        var cut = model
        cut.blocks.removeLast()
        let before = cut.forward(images, training: false, using: &rng).output  // (3, 10, 8): norm of block 2's tokens
        let last = model.forward(images, training: false, using: &rng).output   // (3, 10, 8): norm of block 3's tokens
        let (tokens, width) = (before.shape[1], 8)
        func row(_ t: Tensor, _ image: Int, _ token: Int) -> [Float] { Array(t.scalars[(image * tokens + token) * width..<(image * tokens + token + 1) * width]) }
        func pooled(_ image: Int) -> [Float] {
            (0..<width).map { j in (1..<tokens).reduce(Float(0)) { $0 + row(last, image, $1)[j] } / Float(tokens - 1) }
        }
        let expected = Tensor(shape: [3, 24], scalars: (0..<3).flatMap { row(before, $0, 0) + row(last, $0, 0) + pooled($0) })
        let features = model.features(images, readout: FeatureReadout(lastBlocks: 2, averagePooledPatches: true))
        let report = compare(features, expected, absolute: 1e-5, relative: 1e-5)
        #expect(features.shape == [3, 24] && report.failures == 0, "expected [CLS₂ | CLS₃ | mean of patches₃], got \(report)")
        // Negative control: the two blocks' class tokens in the other order are told apart.
        let swapped = Tensor(shape: [3, 24], scalars: (0..<3).flatMap { row(last, $0, 0) + row(before, $0, 0) + pooled($0) })
        #expect(compare(features, swapped, absolute: 1e-5, relative: 1e-5).failures > 0)
    }

    @Test func widthAndTheLastClassTokensColumnsByHand() {
        let readout = FeatureReadout(lastBlocks: 4, averagePooledPatches: true)
        // D = 192: 4 class tokens and the pooled patches, 5 × 192; the last class token is the fourth block of 192.
        #expect(readout.width(dimension: 192) == 960, "expected 960, got \(readout.width(dimension: 192))")
        #expect(readout.lastClassTokenColumns(dimension: 192) == 576..<768, "expected 576..<768, got \(readout.lastClassTokenColumns(dimension: 192))")
        #expect(FeatureReadout.classToken.width(dimension: 192) == 192, "expected 192, got \(FeatureReadout.classToken.width(dimension: 192))")
    }

    @Test func aReadoutBeyondTheBlocksIsRefused() throws {
        for lastBlocks in [0, 4] {
            let error = #expect(throws: ConfigurationError.self) { try FeatureReadout(lastBlocks: lastBlocks, averagePooledPatches: false).validate(depth: 3) }
            let text = error.map { "\($0)" } ?? ""
            #expect(text.contains("between 1 and the backbone's depth 3, got \(lastBlocks)"), "expected a message naming the range, got \(text)")
        }
        try FeatureReadout(lastBlocks: 3, averagePooledPatches: true).validate(depth: 3)
        var configuration = TrainingConfiguration()
        configuration.linearProbeReadout = FeatureReadout(lastBlocks: 13, averagePooledPatches: false)
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        // DINO's default for small ViTs, cut to the depth of a shallower backbone.
        configuration.linearProbeReadout = nil
        configuration.backbone.depth = 2
        #expect(configuration.probeReadout == FeatureReadout(lastBlocks: 2, averagePooledPatches: false),
                "expected 2 blocks for a depth-2 backbone, got \(configuration.probeReadout)")
    }

    /// k-NN reads the last class token out of the probe's wider features: the same votes as reading it alone.
    @Test func kNNOnTheClassTokenIsASliceOfTheProbesFeatures() throws {
        let model = tinyViT(depth: 3)
        let images = Self.images(count: 24)
        let dataset = ImageDataset(pixels: images.scalars, labels: (0..<24).map { $0 % 3 }, classNames: ["a", "b", "c"], channels: 1, height: 6, width: 6)
        func evaluation(_ readout: FeatureReadout, knnOnProbe: Bool = false) throws -> Evaluation {
            try Evaluation(bank: dataset.prefix(16), test: dataset, classCount: 3, mean: [0], std: [1], ks: [1, 5], temperature: 0.07,
                           probeReadout: readout, knnOnProbeFeatures: knnOnProbe)
        }
        let plain = try evaluation(.classToken).evaluate(model, linearProbe: false)
        let wide = try evaluation(FeatureReadout(lastBlocks: 3, averagePooledPatches: true)).evaluate(model, linearProbe: true)
        for key in ["knn_top1_k1", "knn_top1_k5", "knn_top5_k5"] {
            #expect(plain[key] != nil && plain[key] == wide[key], "\(key): expected \(plain[key] ?? .nan), got \(wide[key] ?? .nan)")
        }
        #expect(wide["linear_probe"] != nil && plain["linear_probe"] == nil, "expected the probe only when asked, got \(wide) and \(plain)")
        // With the whole readout, the k-NN bank is the training images themselves (k = 1): each finds itself.
        let onProbe = try evaluation(FeatureReadout(lastBlocks: 3, averagePooledPatches: true), knnOnProbe: true).evaluate(model, linearProbe: false)
        let bankImagesFound = 100.0 * 16 / 24
        #expect((onProbe["knn_top1_k1"] ?? 0) >= bankImagesFound, "expected at least the 16 bank images found by themselves (\(bankImagesFound)%), got \(onProbe)")
    }
}
