import DINO
import DINOTestSupport
import Foundation
import Testing

@Suite struct HeadTests {
    @Test func l2NormalizationByHandAndBackward() {
        let (y, norms) = l2Normalize(Tensor(shape: [1, 2], scalars: [3, 4]))
        #expect(y.scalars == [0.6, 0.8])
        #expect(norms == [5])
        var rng = SeededGenerator(seed: 1)
        let x = Tensor.normal([3, 4], using: &rng)
        let probe = ProbeLoss(shape: [3, 4])
        let (output, xNorms) = l2Normalize(x)
        expectGradient(l2NormalizeBackward(probe.weights, output: output, norms: xNorms), of: { probe(l2Normalize($0).output) }, at: x, "∂L/∂x")
    }

    @Test func weightNormByHand() {
        var rng = SeededGenerator(seed: 2)
        var layer = WeightNormalizedLinear(inputSize: 2, outputSize: 1, magnitudeIsTrainable: true, using: &rng)
        layer.direction = Tensor(shape: [1, 2], scalars: [3, 4])
        layer.magnitude = Tensor(shape: [1, 1], scalars: [2])
        #expect(layer.effectiveWeight().weight.scalars == [1.2, 1.6])  // 2 · (3, 4) / 5
    }

    @Test func weightNormBackwardMatchesCentralDifferences() {
        var rng = SeededGenerator(seed: 3)
        var layer = WeightNormalizedLinear(inputSize: 4, outputSize: 3, magnitudeIsTrainable: true, using: &rng)
        layer.magnitude = .uniform([3, 1], in: 0.5..<2, using: &rng)
        let x = Tensor.normal([5, 4], using: &rng)
        let probe = ProbeLoss(shape: [5, 3])
        let (input, parameters) = layer.backward(probe.weights, saved: layer.forward(x).saved)
        expectGradient(input, of: { probe(layer.forward($0).output) }, at: x, "∂L/∂x")
        expectGradient(parameters.direction, of: { v in var l = layer; l.direction = v; return probe(l.forward(x).output) }, at: layer.direction, "∂L/∂v")
        expectGradient(parameters.magnitude, of: { g in var l = layer; l.magnitude = g; return probe(l.forward(x).output) }, at: layer.magnitude, "∂L/∂g")
        // With g frozen (norm_last_layer), its gradient is not produced.
        var frozen = layer
        frozen.magnitudeIsTrainable = false
        #expect(frozen.backward(probe.weights, saved: frozen.forward(x).saved).parameters.magnitude == Tensor(zeros: [3, 1]))
    }

    @Test func namesAndShapesFollowTheReference() throws {
        var rng = SeededGenerator(seed: 4)
        let head = DINOHead(HeadConfiguration(inputDimension: 6, outputDimension: 10, hiddenDimension: 8, bottleneckDimension: 4), using: &rng)
        #expect(head.namedParameters.map(\.name) == [
            "mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias", "mlp.4.weight", "mlp.4.bias",
            "last_layer.weight_g", "last_layer.weight_v",
        ])
        #expect(head.lastLayer.magnitude == Tensor(shape: [10, 1], repeating: 1))
        #expect(head.frozenParameterNames == ["last_layer.weight_g"])
        let single = DINOHead(HeadConfiguration(inputDimension: 6, outputDimension: 10, bottleneckDimension: 4, layerCount: 1), using: &rng)
        #expect(single.namedParameters.map(\.name) == ["mlp.weight", "mlp.bias", "last_layer.weight_g", "last_layer.weight_v"])
        #expect(throws: ConfigurationError("out_dim (K) must be positive, got 0")) { try HeadConfiguration(inputDimension: 6, outputDimension: 0).validate() }
        #expect(throws: ConfigurationError("bottleneck dimension must be positive, got 0")) {
            try HeadConfiguration(inputDimension: 6, bottleneckDimension: 0).validate()
        }
    }

    @Test func headBackwardMatchesCentralDifferences() {
        var rng = SeededGenerator(seed: 5)
        var head = DINOHead(HeadConfiguration(inputDimension: 4, outputDimension: 6, hiddenDimension: 5, bottleneckDimension: 3), using: &rng)
        head.visitParameters(prefix: "") { name, t in if name != "last_layer.weight_g" { t = .normal(t.shape, std: 0.5, using: &rng) } }
        let x = Tensor.normal([3, 4], using: &rng)
        let probe = ProbeLoss(shape: [3, 6])
        let (input, parameters) = head.backward(probe.weights, saved: head.forward(x).saved)
        expectGradient(input, of: { probe(head.forward($0).output) }, at: x, "∂L/∂x")
        expectGradient(parameters.mlp[1].weight, of: { w in var h = head; h.mlp[1].weight = w; return probe(h.forward(x).output) }, at: head.mlp[1].weight, "∂L/∂mlp.2.weight")
        expectGradient(parameters.lastLayer.direction, of: { v in var h = head; h.lastLayer.direction = v; return probe(h.forward(x).output) },
                       at: head.lastLayer.direction, "∂L/∂last_layer.weight_v")
    }
}
