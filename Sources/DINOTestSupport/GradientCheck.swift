import DINO

/// Central differences: `∂f/∂xᵢ ≈ (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h` for every element of `x`.
///
/// `f` should return a `Double` (sum in `Double`), so that the difference of two nearby values keeps
/// its digits; the error of the estimate is O(h²) plus rounding of order `ulp(f) / h`.
public func numericalGradient(of f: (Tensor) -> Double, at x: Tensor, step: Float = 1e-2) -> Tensor {
    var gradient = Tensor(zeros: x.shape)
    var probe = x
    for i in 0..<x.count {
        let original = probe.scalars[i]
        probe.scalars[i] = original + step
        let plus = f(probe)
        probe.scalars[i] = original - step
        let minus = f(probe)
        probe.scalars[i] = original
        // The step actually taken in Float, not the one asked for.
        let taken = Double(original + step) - Double(original - step)
        gradient.scalars[i] = Float((plus - minus) / taken)
    }
    return gradient
}

/// A fixed random projection `Σᵢ wᵢ·yᵢ` that turns a layer's output into a scalar loss whose gradient
/// with respect to the output is exactly `w`: the standard way to gradient-check a layer.
public struct ProbeLoss: Sendable {
    /// The projection weights, shaped like the output: `∂loss/∂y`.
    public let weights: Tensor

    /// Random weights in `[-1, 1)` for an output of `shape`.
    public init(shape: [Int], seed: UInt64 = 7) {
        var rng = SeededGenerator(seed: seed)
        weights = .uniform(shape, in: -1..<1, using: &rng)
    }

    /// `Σᵢ wᵢ·yᵢ`, summed in `Double`.
    public func callAsFunction(_ output: Tensor) -> Double {
        var sum = 0.0
        for i in 0..<output.count { sum += Double(weights.scalars[i]) * Double(output.scalars[i]) }
        return sum
    }
}
