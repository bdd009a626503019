import DINO
import DINOTestSupport
import Foundation
import Testing

/// A ViT small enough for central differences in a debug build.
func tinyViT(seed: UInt64 = 9, depth: Int = 2, dropPathRate: Float = 0) -> VisionTransformer {
    var rng = SeededGenerator(seed: seed)
    var model = VisionTransformer(
        ViTConfiguration(imageSize: 6, patchSize: 2, channels: 1, dimension: 8, depth: depth, heads: 2, mlpRatio: 2,
                         dropPathRate: dropPathRate), using: &rng)
    // Weights far from the 0.02 init, so every path carries a gradient that central differences see.
    model.visitParameters(prefix: "") { name, tensor in
        if !name.hasSuffix("norm1.weight") && !name.hasSuffix("norm2.weight") && name != "norm.weight" {
            tensor = .normal(tensor.shape, std: 0.3, using: &rng)
        }
    }
    return model
}

@Suite struct LayerTests {
    @Test func layerNormByHand() {
        let norm = LayerNorm(dimension: 3)
        let y = norm.forward(Tensor(shape: [1, 3], scalars: [1, 2, 3])).output
        let s = Float(1 / (2.0 / 3 + 1e-6).squareRoot())  // 1/√(σ² + ε), σ² = 2/3
        assertClose(y, Tensor(shape: [1, 3], scalars: [-s, 0, s]), absolute: 1e-6)
    }

    @Test func layerNormBackward() {
        var rng = SeededGenerator(seed: 10)
        var norm = LayerNorm(dimension: 5)
        norm.weight = .normal([5], using: &rng)
        norm.bias = .normal([5], using: &rng)
        let x = Tensor.normal([3, 5], using: &rng)
        let probe = ProbeLoss(shape: [3, 5])
        let (input, parameters) = norm.backward(probe.weights, saved: norm.forward(x).saved)
        expectGradient(input, of: { probe(norm.forward($0).output) }, at: x, "∂L/∂x")
        expectGradient(parameters.weight, of: { w in var n = norm; n.weight = w; return probe(n.forward(x).output) }, at: norm.weight, "∂L/∂γ")
        expectGradient(parameters.bias, of: { b in var n = norm; n.bias = b; return probe(n.forward(x).output) }, at: norm.bias, "∂L/∂β")
    }

    @Test func exactGELUByHand() {
        // GELU(1) = Φ(1) = 0.841345; the tanh approximation gives 0.841192 (negative control).
        let y = gelu(Tensor([1, 0, -1]))
        assertClose(y, Tensor([0.841_344_7, 0, -0.158_655_3]), absolute: 1e-6)
        #expect(abs(y.scalars[0] - 0.841_192) > 1e-4)
    }

    @Test func geluAndMLPBackward() {
        var rng = SeededGenerator(seed: 11)
        let x = Tensor.normal([4, 3], using: &rng)
        let probe = ProbeLoss(shape: [4, 3])
        expectGradient(geluBackward(probe.weights, input: x), of: { probe(gelu($0)) }, at: x, "∂GELU/∂x")
        var mlp = MLP(dimension: 3, hidden: 6, using: &rng)
        mlp.visitParameters(prefix: "") { _, t in t = .normal(t.shape, std: 0.5, using: &rng) }
        let (input, parameters) = mlp.backward(probe.weights, saved: mlp.forward(x).saved)
        expectGradient(input, of: { probe(mlp.forward($0).output) }, at: x, "∂MLP/∂x")
        expectGradient(parameters.fc1.weight, of: { w in var m = mlp; m.fc1.weight = w; return probe(m.forward(x).output) }, at: mlp.fc1.weight, "∂MLP/∂fc1.weight")
    }

    @Test func dropPathKeepsTheExpectation() {
        var rng = SeededGenerator(seed: 12)
        let factors = dropPathFactors(batch: 20_000, rate: 0.25, using: &rng)
        #expect(Set(factors) == [0, Float(1) / 0.75])
        #expect(abs(factors.reduce(0, +) / 20_000 - 1) < 0.02)
        #expect(dropPathFactors(batch: 5, rate: 0, using: &rng) == [1, 1, 1, 1, 1])
    }
}

@Suite struct VisionTransformerTests {
    @Test func namesMatchTheReference() {
        let names = tinyViT(depth: 1).namedParameters.map(\.name)
        #expect(names == [
            "cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias",
            "blocks.0.norm1.weight", "blocks.0.norm1.bias", "blocks.0.attn.qkv.weight", "blocks.0.attn.qkv.bias",
            "blocks.0.attn.proj.weight", "blocks.0.attn.proj.bias", "blocks.0.norm2.weight", "blocks.0.norm2.bias",
            "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc1.bias", "blocks.0.mlp.fc2.weight", "blocks.0.mlp.fc2.bias",
            "norm.weight", "norm.bias",
        ])
        let shapes = Dictionary(uniqueKeysWithValues: tinyViT(depth: 1).namedParameters.map { ($0.name, $0.tensor.shape) })
        #expect(shapes["patch_embed.proj.weight"] == [8, 1, 2, 2])
        #expect(shapes["pos_embed"] == [1, 10, 8])
        #expect(shapes["blocks.0.attn.qkv.weight"] == [24, 8])
    }

    @Test func dropPathRisesLinearlyOverDepth() {
        var rng = SeededGenerator(seed: 0)
        let model = VisionTransformer(ViTConfiguration(imageSize: 4, patchSize: 2, channels: 1, dimension: 4, depth: 5, heads: 1, dropPathRate: 0.1), using: &rng)
        #expect(model.blocks.map(\.dropPathRate) == [0, 0.025, 0.05, 0.075, 0.1])
        #expect(model.withoutDropPath().blocks.allSatisfy { $0.dropPathRate == 0 })
    }

    @Test func backwardMatchesCentralDifferencesOnBothGrids() {
        let model = tinyViT()
        var rng = SeededGenerator(seed: 13)
        for side in [6, 4] {  // the training grid and an interpolated one
            let images = Tensor.normal([2, 1, side, side], using: &rng)
            let tokenCount = 1 + (side / 2) * (side / 2)
            let probe = ProbeLoss(shape: [2, tokenCount, 8])
            var unused = SeededGenerator(seed: 0)
            let (_, saved) = model.forward(images, training: false, using: &unused)
            let (input, parameters) = model.backward(probe.weights, saved: saved)
            func loss(_ m: VisionTransformer, _ x: Tensor) -> Double {
                var r = SeededGenerator(seed: 0)
                return probe(m.forward(x, training: false, using: &r).output)
            }
            expectGradient(input, of: { loss(model, $0) }, at: images, "∂L/∂images (\(side)²)")
            let gradients = Dictionary(uniqueKeysWithValues: parameters.namedParameters.map { ($0.name, $0.tensor) })
            for name in ["cls_token", "pos_embed", "patch_embed.proj.weight", "blocks.0.attn.qkv.weight", "blocks.1.mlp.fc2.bias", "blocks.1.norm1.weight", "norm.bias"] {
                let value = model.namedParameters.first { $0.name == name }!.tensor
                expectGradient(gradients[name]!, of: { t in
                    var changed = model
                    changed.visitParameters(prefix: "") { n, tensor in if n == name { tensor = t } }
                    return loss(changed, images)
                }, at: value, "∂L/∂\(name) (\(side)²)")
            }
        }
    }

    @Test func dropPathBackwardUsesTheSameMask() {
        let model = tinyViT(depth: 2, dropPathRate: 0.5)
        var rng = SeededGenerator(seed: 14)
        let images = Tensor.normal([4, 1, 6, 6], using: &rng)
        let probe = ProbeLoss(shape: [4, 10, 8])
        var draw = SeededGenerator(seed: 99)
        let (_, saved) = model.forward(images, training: true, using: &draw)
        let input = model.backward(probe.weights, saved: saved).input
        expectGradient(input, of: { x in
            var sameDraw = SeededGenerator(seed: 99)
            return probe(model.forward(x, training: true, using: &sameDraw).output)
        }, at: images, "∂L/∂images with DropPath")
    }

    @Test func dropPathResidualByHand() {
        // Three samples of 25 000 elements: parallel chunks of 32 768 cross from one sample to the next,
        // and each stretch must take its own sample's factor.
        let perSample = 25_000
        let residual = Tensor(shape: [3, perSample], repeating: 1)
        let branch = Tensor(shape: [3, perSample], scalars: (0..<3 * perSample).map { Float($0 % 7) })
        let factors: [Float] = [0, 2, 0.5]
        let sum = ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 2)) { addResidual(residual, toBranch: branch, scaledBy: factors) }
        let scaled = ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 2)) { scaleSamples(branch, by: factors) }
        for i in [0, 6, 24_999, 25_000, 32_767, 32_768, 49_999, 50_000, 74_999] {
            let factor = factors[i / perSample], value = Float(i % 7)
            #expect(sum.scalars[i] == 1 + factor * value, "residual + factor · branch at \(i)")
            #expect(scaled.scalars[i] == factor * value, "factor · branch at \(i)")
        }
        // Negative control: one factor for the whole batch gives another result.
        #expect(addResidual(residual, toBranch: branch, scaledBy: [2, 2, 2]) != sum)
    }

    @Test func multiCropGroupsByResolutionAndSumsGradients() {
        let model = tinyViT()
        var rng = SeededGenerator(seed: 15)
        let crops = [Tensor.normal([2, 1, 6, 6], using: &rng), .normal([2, 1, 6, 6], using: &rng),
                     .normal([2, 1, 4, 4], using: &rng), .normal([2, 1, 4, 4], using: &rng), .normal([2, 1, 4, 4], using: &rng)]
        var unused = SeededGenerator(seed: 0)
        let (features, pass) = MultiCropPass.forward(model, crops: crops, training: false, using: &unused)
        #expect(pass.groups == [0..<2, 2..<5])
        #expect(features.shape == [10, 8])
        // Each crop alone gives the same features as the grouped pass.
        for (index, crop) in crops.enumerated() {
            assertClose(features.rows(2 * index..<2 * index + 2), model.features(crop), absolute: 1e-5, "crop \(index)")
        }
        let probe = ProbeLoss(shape: [10, 8])
        let gradient = pass.backward(model, featureGradient: probe.weights)
        let value = model.blocks[0].attention.qkv.weight
        expectGradient(gradient.blocks[0].attention.qkv.weight, of: { w in
            var changed = model
            changed.blocks[0].attention.qkv.weight = w
            var r = SeededGenerator(seed: 0)
            return probe(MultiCropPass.forward(changed, crops: crops, training: false, using: &r).features)
        }, at: value, "∂L/∂blocks.0.attn.qkv.weight over two resolutions")
    }

    @Test func imagesThatDoNotFitAreRejectedWithAMessage() throws {
        let model = tinyViT(depth: 1)  // 1 channel, patch 2
        #expect(throws: ConfigurationError("crop 5×5 is not a positive multiple of the patch size 2")) { _ = try model.checkedFeatures(Tensor(zeros: [1, 1, 5, 5])) }
        #expect(throws: ConfigurationError("crop has 3 channels, the model's patch embedding takes 1")) { _ = try model.checkedFeatures(Tensor(zeros: [1, 3, 6, 6])) }
        #expect(throws: ConfigurationError("images must be (B, C, H, W), got shape [6, 6]")) { _ = try model.checkedFeatures(Tensor(zeros: [6, 6])) }
        #expect(try model.checkedFeatures(Tensor(zeros: [2, 1, 4, 4])).shape == [2, 8])
    }

    @Test func impossibleConfigurationsAreNamed() throws {
        #expect(throws: ConfigurationError("image size 30 is not a multiple of the patch size 4")) {
            try ViTConfiguration(imageSize: 30, patchSize: 4, channels: 1, dimension: 8, depth: 1, heads: 2).validate()
        }
        #expect(throws: ConfigurationError("dimension 10 must be a positive multiple of the head count 3")) {
            try ViTConfiguration(imageSize: 8, patchSize: 4, channels: 1, dimension: 10, depth: 1, heads: 3).validate()
        }
        let configuration = ViTConfiguration(imageSize: 8, patchSize: 4, channels: 1, dimension: 8, depth: 1, heads: 2)
        #expect(throws: ConfigurationError("crop 10×10 is not a positive multiple of the patch size 4")) {
            try configuration.validateCrop(channels: 1, height: 10, width: 10)
        }
        #expect(throws: ConfigurationError("crop has 3 channels, the model's patch embedding takes 1")) {
            try configuration.validateCrop(channels: 3, height: 8, width: 8)
        }
        #expect(throws: ConfigurationError.self) { try ViTConfiguration.named("vit_huge", imageSize: 28, patchSize: 4, channels: 1) }
        #expect(try ViTConfiguration.named("vit_small", imageSize: 224, patchSize: 16, channels: 3).dimension == 384)
    }
}
