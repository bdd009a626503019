import DINO

/// Exercise 04.1: the backward pass of `y = x / ‖x‖` per row (book chapter 04, step 3).
///
/// Given `g = ∂L/∂y` `(R, K)`, the output `y` `(R, K)` and each row's `‖x‖`, return `∂L/∂x` `(R, K)`.
public func exerciseL2NormalizeBackward(outputGradient: Tensor, output: Tensor, norms: [Float]) -> Tensor {
    let width = output.shape[1]
    var result = outputGradient
    for row in norms.indices {
        let range = row * width..<(row + 1) * width
        let alongOutput = range.reduce(Float(0)) { $0 + output.scalars[$1] * outputGradient.scalars[$1] }
        for i in range { result.scalars[i] = (outputGradient.scalars[i] - output.scalars[i] * alongOutput) / norms[row] }
    }
    return result
}
