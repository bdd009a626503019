import DINO
import DINOTestSupport
import Exercises
import Foundation
import Testing

@Suite(.enabled(if: exercisesEnabled, "set DINO_EXERCISES=stubs (your work) or =solutions"))
struct Exercise01 {
    @Test func patchifyByHand() {
        let image = Tensor(shape: [1, 1, 4, 4], scalars: (0..<16).map(Float.init))
        let expected: [Float] = [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15]
        let answer = exercisePatchify(image, patchSize: 2)
        #expect(answer.scalars == expected, "expected \(expected), got \(answer.scalars) (shape \(answer.shape))")
    }

    @Test func patchifyMatchesTheLibraryOnColourBatches() {
        var rng = SeededGenerator(seed: 1)
        let images = Tensor.normal([2, 3, 6, 9], using: &rng)
        // A patch is a copy of pixels: exactly equal, so no tolerance.
        assertClose(exercisePatchify(images, patchSize: 3), patchify(images, patchSize: 3), absolute: 0, relative: 0, "patches")
    }
}

@Suite(.enabled(if: exercisesEnabled, "set DINO_EXERCISES=stubs (your work) or =solutions"))
struct Exercise02 {
    @Test func temperedSoftmaxBackwardByHand() {
        // p = (0.5, 0.5), ∂L/∂p = (1, 0): at τ = 1 the gradient is (0.25, −0.25); at τ = 0.1, ten times that.
        let p = Tensor(shape: [1, 2], scalars: [0.5, 0.5]), g = Tensor(shape: [1, 2], scalars: [1, 0])
        let answer = exerciseTemperedSoftmaxBackward(probabilities: p, outputGradient: g, temperature: 0.1)
        assertClose(answer, Tensor(shape: [1, 2], scalars: [2.5, -2.5]), absolute: 1e-5, "∂L/∂z at τ = 0.1")
        // Negative control: forgetting 1/τ gives (0.25, −0.25), which the check above rejects.
        #expect(compare(Tensor(shape: [1, 2], scalars: [0.25, -0.25]), Tensor(shape: [1, 2], scalars: [2.5, -2.5]),
                        absolute: 1e-5, relative: 1e-4).failures > 0)
    }

    @Test(arguments: [Float(1), 0.1, 0.04])
    func temperedSoftmaxBackwardMatchesCentralDifferences(temperature: Float) {
        var rng = SeededGenerator(seed: 2)
        let logits = Tensor.normal([4, 6], std: 0.05, using: &rng)
        let probe = ProbeLoss(shape: [4, 6])
        let answer = exerciseTemperedSoftmaxBackward(probabilities: softmax(logits, temperature: temperature),
                                                     outputGradient: probe.weights, temperature: temperature)
        expectGradient(answer, of: { probe(softmax($0, temperature: temperature)) }, at: logits,
                       step: 1e-3 * temperature, "∂L/∂logits at τ = \(temperature)")
    }
}

@Suite(.enabled(if: exercisesEnabled, "set DINO_EXERCISES=stubs (your work) or =solutions"))
struct Exercise03 {
    let norm: LayerNorm
    let input: Tensor
    let probe = ProbeLoss(shape: [3, 5])

    init() {
        var rng = SeededGenerator(seed: 3)
        var norm = LayerNorm(dimension: 5)
        norm.weight = .normal([5], using: &rng)
        norm.bias = .normal([5], using: &rng)
        self.norm = norm
        input = .normal([3, 5], using: &rng)
    }

    var answer: (input: Tensor, weight: Tensor, bias: Tensor) {
        let y = norm.forward(input).output
        // x̂ and 1/σ recomputed here, so the exercise needs nothing private from the library.
        let normalized = (y - Tensor(shape: y.shape, scalars: (0..<y.count).map { norm.bias.scalars[$0 % 5] }))
            .scalars.enumerated().map { $0.element / norm.weight.scalars[$0.offset % 5] }
        let inverseDeviation = (0..<3).map { row -> Float in
            let values = input.scalars[row * 5..<(row + 1) * 5]
            let mean = values.reduce(0, +) / 5
            return 1 / (values.reduce(Float(0)) { $0 + ($1 - mean) * ($1 - mean) } / 5 + 1e-6).squareRoot()
        }
        return exerciseLayerNormBackward(outputGradient: probe.weights, normalized: Tensor(shape: [3, 5], scalars: normalized),
                                         inverseDeviation: inverseDeviation, weight: norm.weight)
    }

    @Test func inputGradientMatchesCentralDifferences() {
        expectGradient(answer.input, of: { probe(norm.forward($0).output) }, at: input, "∂L/∂x")
    }

    @Test func weightAndBiasGradients() {
        let expected = norm.backward(probe.weights, saved: norm.forward(input).saved).parameters
        assertClose(answer.weight, expected.weight, absolute: 1e-4, "∂L/∂γ")
        assertClose(answer.bias, expected.bias, absolute: 1e-4, "∂L/∂β")
    }
}
