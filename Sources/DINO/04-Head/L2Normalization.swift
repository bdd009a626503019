// snippet.l2-normalize
/// Scales every row to unit length, `y = x / max(‖x‖, ε)`, as `F.normalize(x, dim=-1)` (ε = 1e-12).
/// `(R, K)` → `(R, K)`; also returns each row's norm, which backward needs.
public func l2Normalize(_ input: Tensor, epsilon: Float = 1e-12) -> (output: Tensor, norms: [Float]) {
    let width = input.shape.last!
    var output = input
    var norms = [Float](repeating: 0, count: input.count / max(width, 1))
    for row in norms.indices {
        let start = row * width
        var sumOfSquares: Float = 0
        for j in 0..<width { sumOfSquares += input.scalars[start + j] * input.scalars[start + j] }
        norms[row] = max(sumOfSquares.squareRoot(), epsilon)
        for j in 0..<width { output.scalars[start + j] /= norms[row] }
    }
    return (output, norms)
}

/// The backward pass of `l2Normalize`: `∂L/∂x = (g − y·(y·g)) / ‖x‖` per row, the gradient with its
/// component along the output removed (moving along `y` does not change `y`), then scaled.
public func l2NormalizeBackward(_ outputGradient: Tensor, output: Tensor, norms: [Float]) -> Tensor {
    let width = output.shape.last!
    var result = outputGradient
    for row in norms.indices {
        let start = row * width
        var dot: Float = 0
        for j in 0..<width { dot += output.scalars[start + j] * outputGradient.scalars[start + j] }
        for j in 0..<width {
            result.scalars[start + j] = (outputGradient.scalars[start + j] - output.scalars[start + j] * dot) / norms[row]
        }
    }
    return result
}
// snippet.end
