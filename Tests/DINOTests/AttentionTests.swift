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

    @Test func handComputedAttentionDividesByTheSquareRootOfTheHeadWidth() {
        // One head of width d = 2, queries = keys = values = the tokens (1, 0) and (0, 1), proj the identity:
        // token 0 attends with softmax((1, 0)/√2) = (0.669762, 0.330238) and outputs exactly that.
        var rng = SeededGenerator(seed: 0)
        var attention = Attention(dimension: 2, heads: 1, using: &rng)
        attention.qkv = Linear(weight: Tensor(shape: [6, 2], scalars: [1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1]), bias: Tensor(zeros: [6]))
        attention.projection = Linear(weight: Tensor(shape: [2, 2], scalars: [1, 0, 0, 1]), bias: Tensor(zeros: [2]))
        let output = attention.forward(Tensor(shape: [1, 2, 2], scalars: [1, 0, 0, 1])).output
        let expected = Tensor(shape: [1, 2, 2], scalars: [0.669_762, 0.330_238, 0.330_238, 0.669_762])
        assertClose(output, expected, absolute: 1e-6)
        // Negative control: without 1/√d the weights would be softmax((1, 0)) = (0.731059, 0.268941).
        #expect(abs(output.scalars[0] - 0.731_059) > 0.05)
    }

    @Test(.fastPath) func longSequencesRunOnOpenBLASAndAgree() {
        // 130 tokens and heads 16 wide: 130·130·16 > 64³, so each head's products go to cblas_sgemm instead
        // of the small-product kernel the other tests exercise. Forward against naive products head by head,
        // backward against a central difference along one random direction.
        var rng = SeededGenerator(seed: 9)
        var attention = Attention(dimension: 32, heads: 2, using: &rng)
        attention.visitParameters(prefix: "") { _, tensor in tensor = .normal(tensor.shape, std: 0.3, using: &rng) }
        let (tokens, width) = (130, 16)
        let x = Tensor.normal([1, tokens, 32], using: &rng)
        let mixed = attention.qkv.forward(x.reshaped([tokens, 32])).output  // (T, 96): [q | k | v]
        func columns(_ first: Int) -> Tensor {
            Tensor(shape: [tokens, width], scalars: (0..<tokens).flatMap { t in (0..<width).map { mixed[t, first + $0] } })
        }
        var context = [Float](repeating: 0, count: tokens * 32)
        for head in 0..<2 {
            let (q, k, v) = (columns(head * width), columns(32 + head * width), columns(64 + head * width))
            let headOutput = referenceMatmul(softmax(referenceMatmul(q, k.transposed()) * attention.scale), v)
            for t in 0..<tokens { for j in 0..<width { context[t * 32 + head * width + j] = headOutput[t, j] } }
        }
        let expected = attention.projection.forward(Tensor(shape: [tokens, 32], scalars: context)).output
        let (output, saved) = attention.forward(x)
        assertClose(output.reshaped([tokens, 32]), expected, absolute: 1e-4, relative: 1e-4)

        let probe = ProbeLoss(shape: [1, tokens, 32])
        let gradient = attention.backward(probe.weights, saved: saved).input
        let direction = Tensor.uniform([1, tokens, 32], in: -1..<1, using: &rng)
        let analytic = zip(gradient.scalars, direction.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let step: Float = 1e-2
        let numeric = (probe(attention.forward(x + direction * step).output) - probe(attention.forward(x + direction * -step).output))
            / Double(2 * step)
        #expect(abs(analytic - numeric) <= 1e-2 * max(abs(numeric), 1), "⟨∂L/∂x, u⟩ \(analytic) against \(numeric)")
        // Negative control: the gradient of another probe does not pass the same check.
        let other = attention.backward(ProbeLoss(shape: [1, tokens, 32], seed: 8).weights, saved: saved).input
        let otherAnalytic = zip(other.scalars, direction.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(otherAnalytic - numeric) > 1e-2 * max(abs(numeric), 1))
    }
}
