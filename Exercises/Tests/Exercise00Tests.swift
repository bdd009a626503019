import DINO
import DINOTestSupport
import Exercises
import Foundation
import Testing

/// Exercise suites run only when `DINO_EXERCISES` is set (`stubs` or `solutions`), so that the stubs a
/// student has not finished never turn the main test run red.
let exercisesEnabled = ProcessInfo.processInfo.environment["DINO_EXERCISES"] != nil

@Suite(.enabled(if: exercisesEnabled, "set DINO_EXERCISES=stubs (your work) or =solutions"))
struct Exercise00 {
    let layer: Linear
    let input: Tensor
    let outputGradient: Tensor

    init() {
        var rng = SeededGenerator(seed: 100)
        layer = Linear(weight: .normal([4, 5], using: &rng), bias: .normal([4], using: &rng))
        input = .normal([3, 5], using: &rng)
        outputGradient = .uniform([3, 4], in: -1..<1, using: &rng)
    }

    var answer: (input: Tensor, weight: Tensor, bias: Tensor) {
        linearBackward(outputGradient: outputGradient, input: input, weight: layer.weight)
    }

    @Test func inputGradientMatchesCentralDifferences() {
        let numeric = numericalGradient(of: { x in
            let y = layer.forward(x).output
            return zip(y.scalars, outputGradient.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }, at: input)
        assertClose(answer.input, numeric, absolute: 1e-2, relative: 1e-2, "∂L/∂x")
    }

    @Test func weightGradientMatchesCentralDifferences() {
        let numeric = numericalGradient(of: { w in
            let y = Linear(weight: w, bias: layer.bias).forward(input).output
            return zip(y.scalars, outputGradient.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }, at: layer.weight)
        assertClose(answer.weight, numeric, absolute: 1e-2, relative: 1e-2, "∂L/∂W")
    }

    @Test func biasGradientSumsTheRows() {
        let expected = Tensor((0..<4).map { o in (0..<3).reduce(Float(0)) { $0 + outputGradient[$1, o] } })
        assertClose(answer.bias, expected, "∂L/∂b")
    }
}
