import DINO
import DINOTestSupport
import Foundation
import Testing

@Suite struct PatchEmbeddingTests {
    @Test func patchifyByHand() {
        // One 1-channel 4×4 image, patch 2: four patches, each flattened row by row.
        let image = Tensor(shape: [1, 1, 4, 4], scalars: (0..<16).map(Float.init))
        let patches = patchify(image, patchSize: 2)
        #expect(patches.shape == [4, 4])
        #expect(patches.scalars == [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15])
        #expect(unpatchify(patches, imageShape: [1, 1, 4, 4], patchSize: 2) == image)
    }

    @Test func equalsAStridedConvolution() {
        var rng = SeededGenerator(seed: 1)
        let layer = PatchEmbedding(weight: .normal([3, 2, 2, 2], using: &rng), bias: .normal([3], using: &rng))
        let images = Tensor.normal([2, 2, 4, 6], using: &rng)
        let tokens = layer.forward(images).output  // (2, 6, 3)
        // The convolution by its definition: out[b, d, gy, gx] = bias[d] + Σ w[d, c, ky, kx]·x[b, c, 2gy+ky, 2gx+kx].
        for b in 0..<2 { for gy in 0..<2 { for gx in 0..<3 { for d in 0..<3 {
            var sum = layer.bias[d]
            for c in 0..<2 { for ky in 0..<2 { for kx in 0..<2 {
                sum += layer.weight[d, c, ky, kx] * images[b, c, 2 * gy + ky, 2 * gx + kx]
            } } }
            #expect(abs(tokens[b, gy * 3 + gx, d] - sum) < 1e-5)
        } } } }
    }

    @Test func backwardMatchesCentralDifferences() {
        var rng = SeededGenerator(seed: 2)
        let layer = PatchEmbedding(weight: .normal([3, 2, 2, 2], using: &rng), bias: .normal([3], using: &rng))
        let images = Tensor.normal([2, 2, 4, 4], using: &rng)
        let probe = ProbeLoss(shape: [2, 4, 3])
        let (_, patches) = layer.forward(images)
        let (input, parameters) = layer.backward(probe.weights, patches: patches, imageShape: images.shape)
        expectGradient(input, of: { probe(layer.forward($0).output) }, at: images, "∂L/∂images")
        expectGradient(parameters.weight, of: { probe(PatchEmbedding(weight: $0, bias: layer.bias).forward(images).output) }, at: layer.weight, "∂L/∂weight")
        expectGradient(parameters.bias, of: { probe(PatchEmbedding(weight: layer.weight, bias: $0).forward(images).output) }, at: layer.bias, "∂L/∂bias")
    }
}

@Suite struct BicubicTests {
    @Test func handComputedWeightsForSevenToThree() {
        // s = 3.1 / 7; output 0 reads source (0 + 0.5)/s − 0.5 = 0.629032…; t = 0.629032.
        let t = (0.5 / (3.1 / 7)) - 0.5
        let a = -0.75
        func near(_ x: Double) -> Double { ((a + 2) * x - (a + 3)) * x * x + 1 }
        func far(_ x: Double) -> Double { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
        let weights = BicubicInterpolation.weights(from: 7, to: 3)
        // Taps at −1 (clamped to 0), 0, 1, 2.
        #expect(abs(weights[0][0] - (far(t + 1) + near(t))) < 1e-12)
        #expect(abs(weights[0][1] - near(1 - t)) < 1e-12)
        #expect(abs(weights[0][2] - far(2 - t)) < 1e-12)
        for row in weights { #expect(abs(row.reduce(0, +) - 1) < 1e-12) }  // the kernel sums to 1
    }

    @Test func scaleFactorRuleIsNotTheSizeRule() {
        // Negative control: mapping with N/n (the size rule) gives a different matrix.
        let weights = BicubicInterpolation.weights(from: 7, to: 3)
        let sizeRuleCoordinate = 0.5 * 7 / 3 - 0.5  // 0.6667, not 0.6290
        #expect(abs(sizeRuleCoordinate - ((0.5 / (3.1 / 7)) - 0.5)) > 0.03)
        #expect(weights[1] != BicubicInterpolation.weights(from: 7, to: 3).reversed()[0])
    }

    @Test func sameGridKeepsTheEmbedding() {
        var rng = SeededGenerator(seed: 3)
        let embedding = TokenEmbedding(imageSize: 6, patchSize: 2, channels: 1, dimension: 4, using: &rng)
        let (table, resampling) = embedding.positionEmbedding(gridHeight: 3, gridWidth: 3)
        #expect(resampling == nil)
        #expect(table == embedding.positionEmbedding.reshaped([-1, 4]))
    }
}

@Suite struct TokenEmbeddingTests {
    func check(imageSide: Int) {
        var rng = SeededGenerator(seed: 4)
        var embedding = TokenEmbedding(imageSize: 6, patchSize: 2, channels: 1, dimension: 4, using: &rng)
        embedding.classToken = .normal([1, 1, 4], using: &rng)
        embedding.positionEmbedding = .normal([1, 10, 4], using: &rng)
        let images = Tensor.normal([2, 1, imageSide, imageSide], using: &rng)
        let grid = imageSide / 2
        let probe = ProbeLoss(shape: [2, 1 + grid * grid, 4])
        let (_, saved) = embedding.forward(images)
        let (input, parameters) = embedding.backward(probe.weights, saved: saved)
        func with(_ change: (inout TokenEmbedding) -> Void) -> TokenEmbedding { var copy = embedding; change(&copy); return copy }
        expectGradient(input, of: { probe(embedding.forward($0).output) }, at: images, "∂L/∂images (\(imageSide)²)")
        expectGradient(parameters.classToken, of: { t in probe(with { $0.classToken = t }.forward(images).output) },
                       at: embedding.classToken, "∂L/∂cls_token")
        expectGradient(parameters.positionEmbedding, of: { t in probe(with { $0.positionEmbedding = t }.forward(images).output) },
                       at: embedding.positionEmbedding, "∂L/∂pos_embed (\(imageSide)²)")
    }

    @Test func backwardOnTheTrainingGrid() { check(imageSide: 6) }
    @Test func backwardThroughTheInterpolation() { check(imageSide: 4) }
}
