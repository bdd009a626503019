// snippet.l2-normalize
/// Scales every row to unit length, `y = x / max(‖x‖, ε)`, as `F.normalize(x, dim=-1)` (ε = 1e-12).
/// `(R, K)` → `(R, K)`; also returns each row's norm, which backward needs.
public func l2Normalize(_ input: Tensor, epsilon: Float = 1e-12) -> (output: Tensor, norms: [Float]) {
    if ComputePath.isFast { return fastL2Normalize(input, epsilon: epsilon) }
    let width = input.shape.last ?? 0
    var output = input
    var norms = [Float]()
    for start in stride(from: 0, to: input.count, by: max(width, 1)) {
        let row = input.scalars[start..<start + width]
        let norm = max(row.reduce(0) { $0 + $1 * $1 }.squareRoot(), epsilon)
        norms.append(norm)
        for j in row.indices { output.scalars[j] = input.scalars[j] / norm }
    }
    return (output, norms)
}

/// The backward pass of `l2Normalize`: `∂L/∂x = (g − y·(y·g)) / ‖x‖` per row, the gradient with its
/// component along the output removed (moving along `y` does not change `y`), then scaled.
public func l2NormalizeBackward(_ outputGradient: Tensor, output: Tensor, norms: [Float]) -> Tensor {
    checkShapes(outputGradient.shape == output.shape, "l2NormalizeBackward: gradient \(outputGradient.shape) for output \(output.shape)")
    if ComputePath.isFast { return fastL2NormalizeBackward(outputGradient, output: output, norms: norms) }
    let width = output.shape.last ?? 0
    var inputGradient = outputGradient
    for (row, start) in stride(from: 0, to: output.count, by: max(width, 1)).enumerated() {
        let (y, g) = (output.scalars[start..<start + width], outputGradient.scalars[start..<start + width])
        let along = zip(y, g).reduce(0) { $0 + $1.0 * $1.1 }  // y·g
        for j in y.indices { inputGradient.scalars[j] = (g[j] - y[j] * along) / norms[row] }
    }
    return inputGradient
}
// snippet.end
