import DINO
import DINOTraining
import DINOTestSupport
import Foundation
import Testing

/// A run's memory is estimated from its options before anything is allocated; a run that cannot fit
/// the machine is refused with the figures, and sizes that would overflow are refused, not wrapped.
@Suite struct MemoryEstimateTests {
    /// A configuration small enough to count by hand.
    static var tiny: TrainingConfiguration {
        var c = TrainingConfiguration()
        (c.backbone.dimension, c.backbone.heads, c.backbone.depth, c.backbone.mlpRatio, c.backbone.patchSize) = (4, 1, 1, 1, 4)
        (c.globalCropSize, c.augmentation.localCropSize, c.augmentation.localCropsNumber, c.batchSize) = (8, 4, 1, 2)
        (c.head.hiddenDimension, c.head.bottleneckDimension, c.head.outputDimension) = (2, 2, 2)
        return c
    }

    @Test func byHand() throws {
        let c = Self.tiny
        // ViT (D 4, hidden 4, 1 channel, patch 4, grid 2): embedding 4 + 5·4 + 4·16 + 4 = 92, one block
        // 16 + 60 + 20 + 20 + 20 = 136, final norm 8: 236. Head 4→2→2→2 with biases (10 + 6 + 6) and the
        // last layer 2·2 + 2: 28. Weights ×5 (student, teacher, gradients, two moments) × 4 bytes.
        #expect(c.backbone.parameterCount == 236 && c.head.parameterCount == 28)
        // Per token per block 10·4 + 2·4 + T: global T = 5 → 53·5 = 265, local T = 2 → 50·2 = 100. Head row
        // 2·3·2 + 2 + 3·2 = 20 for each of 3 crops; teacher probabilities 2·2. Per image 530 + 100 + 60 + 4
        // = 694 floats; batch 2, 4 bytes.
        let estimate = try #require(MemoryEstimate(c))
        #expect((estimate.parameters, estimate.activations) == (264 * 5 * 4, 694 * 2 * 4),
                "expected (5280, 5552), got (\(estimate.parameters), \(estimate.activations))")
        // Negative control: one more local crop adds its 100 + 20 floats per image.
        var more = c
        more.augmentation.localCropsNumber = 2
        #expect(MemoryEstimate(more)?.activations == (694 + 120) * 2 * 4)
    }

    @Test func theHeadsParameterCountIsTheHeadsParameters() {
        var rng = SeededGenerator(seed: 0)
        for layers in [1, 3] {
            let configuration = HeadConfiguration(inputDimension: 5, outputDimension: 7, hiddenDimension: 6, bottleneckDimension: 3, layerCount: layers)
            let counted = DINOHead(configuration, using: &rng).namedParameters.reduce(0) { $0 + $1.tensor.count }
            #expect(configuration.parameterCount == counted, "expected \(counted) for \(layers) layers, got \(configuration.parameterCount)")
        }
    }

    @Test func aRunBeyondTheMachineIsRefusedWithTheFigures() throws {
        let b1 = try TrainingConfiguration.preset("b1")
        try MemoryEstimate.check(b1, available: 24 << 30)  // negative control: B1 fits in 24 GiB
        expectMessage(["this run needs at least", "GiB of weights and optimiser state", "of activations for a batch of 64",
                       "more than this machine's 0.1 GiB", "lower --batch-size"]) {
            try MemoryEstimate.check(b1, available: 100 << 20)
        }
        var huge = b1
        huge.batchSize = TrainingConfiguration.maximumImages
        expectMessage(["more than this machine's"]) { try MemoryEstimate.check(huge, available: 24 << 30) }
    }

    @Test func sizesThatWouldOverflowAreRefused() {
        var c = TrainingConfiguration()
        c.backbone.depth = 1 << 40
        expectMessage(["is beyond the limits (width ≤ 16384, depth ≤ 1024"]) { try c.validate() }
        c = TrainingConfiguration()
        c.head.outputDimension = 1 << 40
        expectMessage(["K = 1099511627776 is beyond the limits"]) { try c.validate() }
        // Within the limits every product is counted with overflow checks: nil, never a wrapped number.
        var wide = Self.tiny
        (wide.backbone.dimension, wide.backbone.heads, wide.globalCropSize, wide.batchSize) = (16_384, 16_384, 16_384, Int(Int32.max))
        #expect(MemoryEstimate(wide) == nil)
        // Options never validated (a patch of 0, a depth of 2⁴⁰) give no estimate rather than a trap, and
        // the check says what is wrong with them.
        var unchecked = TrainingConfiguration()
        unchecked.backbone.patchSize = 0
        #expect(MemoryEstimate(unchecked) == nil)
        expectMessage(["patch size must be positive, got 0"]) { try MemoryEstimate.check(unchecked) }
    }

    /// The estimate of the presets against their measured peak (printed with DINO_REPORT_MEMORY=1).
    @Test func presetsAreEstimated() throws {
        for name in ["quick", "b1"] {
            let estimate = try #require(MemoryEstimate(try TrainingConfiguration.preset(name)))
            #expect(estimate.total > 100 << 20 && estimate.total < 4 << 30, "expected between 0.1 and 4 GiB for \(name), got \(estimate.total) bytes")
            if ProcessInfo.processInfo.environment["DINO_REPORT_MEMORY"] != nil {
                print("\(name): parameters \(estimate.parameters >> 20) MiB, activations \(estimate.activations >> 20) MiB")
            }
        }
    }
}
