import DINO

/// Exercise 00.2: the gradient of a scalar function by central differences (book chapter 00, step 6).
///
/// For each element `x_i`: `(f(x + h·e_i) − f(x − h·e_i)) / 2h`, with every other element untouched
/// and `x_i` restored before the next one. Returns a tensor of `x`'s shape.
public func exerciseCentralDifference(of f: (Tensor) -> Double, at x: Tensor, step: Float) -> Tensor {
    var gradient = Tensor(zeros: x.shape)
    var probe = x
    for i in 0..<x.count {
        let original = probe.scalars[i]
        probe.scalars[i] = original + step
        let up = f(probe)
        probe.scalars[i] = original - step
        let down = f(probe)
        probe.scalars[i] = original  // restored, or the next element's difference is taken elsewhere
        gradient.scalars[i] = Float((up - down) / (2 * Double(step)))
    }
    return gradient
}
