import DINO
import DINOTestSupport
import Foundation
import Testing

/// Our ViT against timm's on the same weights (`Tests/Fixtures/make_vit_parity.py`): a timm backbone
/// loads by name, gives the same CLS features on the training grid and on DINO-interpolated 12×12
/// crops, and the same gradients of a fixed function of those features.
@Suite struct ViTParityTests {
    let data: Fixture
    let model: VisionTransformer

    init() throws {
        data = try Fixture("vit_parity_data")
        var rng = SeededGenerator(seed: 0)
        var model = VisionTransformer(
            try ViTConfiguration.named("vit_tiny", imageSize: 28, patchSize: 4, channels: 1, depth: 2, dropPathRate: 0), using: &rng)
        try model.load(safetensors: Fixture.folder.appendingPathComponent("vit_parity_weights.safetensors"))
        self.model = model
    }

    @Test func featuresMatchTimm() throws {
        assertClose(model.features(try data["global_crops"]), try data["features_global"], absolute: 1e-4, relative: 0, "28×28 features")
        assertClose(model.features(try data["local_crops"]), try data["features_local"], absolute: 1e-4, relative: 0, "12×12 features")
    }

    @Test func gradientsMatchTimm() throws {
        var total: VisionTransformer?
        var unused = SeededGenerator(seed: 0)
        for crop in ["global", "local"] {
            let images = try data["\(crop)_crops"]
            let (tokens, saved) = model.forward(images, training: false, using: &unused)
            let tokenGradient = VisionTransformer.classTokenGradient(try data["probe_\(crop)"], tokenCount: tokens.shape[1])
            let (imageGradient, parameters) = model.backward(tokenGradient, saved: saved)
            try expectRelativelyClose(imageGradient, try data["grad.\(crop)_crops"], "∂f/∂\(crop)_crops")
            if total == nil { total = parameters } else { total!.addParameters(of: parameters) }
        }
        let ours = Dictionary(uniqueKeysWithValues: total!.namedParameters.map { ($0.name, $0.tensor) })
        for name in data.tensors.keys where name.hasPrefix("grad.") && !name.hasSuffix("_crops") {
            let parameter = String(name.dropFirst("grad.".count))
            try expectRelativelyClose(try #require(ours[parameter]), try data[name], "∂f/∂\(parameter)")
        }
    }

    /// Within 1e-3 of the reference gradient's largest magnitude, element by element.
    func expectRelativelyClose(_ actual: Tensor, _ expected: Tensor, _ label: String) throws {
        let scale = expected.scalars.map(abs).max() ?? 0
        #expect(scale > 0, "\(label): the reference gradient is zero, the test would prove nothing")
        assertClose(actual, expected, absolute: 1e-3 * scale, relative: 0, label)
    }

    @Test func aSmallChangeInThePositionEmbeddingIsCaught() throws {
        // Negative control: nudging pos_embed by noise of std 1e-2 moves the 12×12 features (which see it
        // through the interpolation) beyond the 1e-4 tolerance, so the test above can fail. (A constant
        // shift would not do: every LayerNorm removes it.)
        var changed = model
        var rng = SeededGenerator(seed: 1)
        changed.embedding.positionEmbedding.add(.normal(changed.embedding.positionEmbedding.shape, std: 1e-2, using: &rng))
        let report = compare(changed.features(try data["local_crops"]), try data["features_local"], absolute: 1e-4, relative: 0)
        #expect(report.failures > 0)
    }
}

/// Writes a backbone made here, with its features on two crop sizes, for `check_timm_load.py`
/// (PyTorch side: strict load in timm, same features). Always runs the write; the Python half runs
/// where torch and timm are installed (`.ci/run` does it when they are).
@Test func exportForTimm() throws {
    var rng = SeededGenerator(seed: 3)
    var model = VisionTransformer(try ViTConfiguration.named("vit_tiny", imageSize: 28, patchSize: 4, channels: 1, depth: 2), using: &rng)
    model.visitParameters(prefix: "") { _, tensor in tensor.add(.normal(tensor.shape, std: 0.05, using: &rng)) }
    let global = Tensor.normal([3, 1, 28, 28], using: &rng), local = Tensor.normal([3, 1, 12, 12], using: &rng)
    var tensors = model.namedParameters
    tensors += [("check.images.global", global), ("check.features.global", model.features(global)),
                ("check.images.local", local), ("check.features.local", model.features(local)),
                ("check.heads", Tensor([Float(model.configuration.heads)]))]
    let path = ProcessInfo.processInfo.environment["DINO_TIMM_EXPORT"]
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("dino-export-\(UUID().uuidString).safetensors").path
    try SafeTensors.write(tensors, to: URL(fileURLWithPath: path))
    var reloaded = VisionTransformer(model.configuration, using: &rng)
    try reloaded.load(try SafeTensors.read(URL(fileURLWithPath: path)).filter { !$0.key.hasPrefix("check.") })
    #expect(reloaded.features(local) == model.features(local))
}
