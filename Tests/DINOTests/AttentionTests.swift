import DINO
import DINOTestSupport
import Foundation
import Testing

@Suite struct AttentionTests {
    @Test func softmaxBackwardByHand() {
        // p = [0.5, 0.5], ∂L/∂p = [1, 0]: ∂L/∂z = p ⊙ (g − p·g) = [0.5·0.5, 0.5·(−0.5)].
        let p = Tensor(shape: [1, 2], scalars: [0.5, 0.5])
        #expect(softmaxBackward(probabilities: p, outputGradient: Tensor(shape: [1, 2], scalars: [1, 0])).scalars == [0.25, -0.25])
    }

    @Test func softmaxBackwardMatchesCentralDifferences() {
        var rng = SeededGenerator(seed: 5)
        let logits = Tensor.normal([3, 5], using: &rng)
        let probe = ProbeLoss(shape: [3, 5])
        let analytic = softmaxBackward(probabilities: softmax(logits), outputGradient: probe.weights)
        expectGradient(analytic, of: { probe(softmax($0)) }, at: logits, step: 1e-2, "∂L/∂logits")
    }

    @Test func oneTokenAttendsOnlyToItself() {
        // With one token, softmax over one score is 1: the output is proj(v).
        var rng = SeededGenerator(seed: 6)
        let attention = Attention(dimension: 4, heads: 2, using: &rng)
        let x = Tensor.normal([1, 1, 4], using: &rng)
        let mixed = attention.qkv.forward(x.reshaped([1, 4])).output
        let value = Tensor(Array(mixed.scalars[8..<12])).reshaped([1, 4])
        let expected = attention.projection.forward(value).output
        assertClose(attention.forward(x).output.reshaped([1, 4]), expected, absolute: 1e-6)
    }

    @Test func attentionWeightsAreRowStochasticPerHead() {
        var rng = SeededGenerator(seed: 7)
        let attention = Attention(dimension: 6, heads: 3, using: &rng)
        let (_, saved) = attention.forward(Tensor.normal([2, 5, 6], using: &rng))
        #expect(saved.attention.shape == [6, 5, 5])
        for row in 0..<30 {
            #expect(abs(saved.attention.scalars[row * 5..<row * 5 + 5].reduce(0, +) - 1) < 1e-5)
        }
    }

    @Test func backwardMatchesCentralDifferences() {
        var rng = SeededGenerator(seed: 8)
        var attention = Attention(dimension: 6, heads: 2, using: &rng)
        // Larger weights than the 0.02 init so the softmax is far from uniform and every path matters.
        attention.visitParameters(prefix: "") { _, tensor in tensor = .normal(tensor.shape, std: 0.5, using: &rng) }
        let x = Tensor.normal([2, 4, 6], using: &rng)
        let probe = ProbeLoss(shape: [2, 4, 6])
        let (_, saved) = attention.forward(x)
        let (input, parameters) = attention.backward(probe.weights, saved: saved)
        expectGradient(input, of: { probe(attention.forward($0).output) }, at: x, "∂L/∂x")
        let gradients = Dictionary(uniqueKeysWithValues: parameters.namedParameters.map { ($0.name, $0.tensor) })
        for (name, value) in attention.namedParameters {
            expectGradient(gradients[name]!, of: { t in
                var changed = attention
                changed.visitParameters(prefix: "") { n, tensor in if n == name { tensor = t } }
                return probe(changed.forward(x).output)
            }, at: value, "∂L/∂\(name)")
        }
        #expect(gradients.keys.sorted() == ["proj.bias", "proj.weight", "qkv.bias", "qkv.weight"])
    }
}
