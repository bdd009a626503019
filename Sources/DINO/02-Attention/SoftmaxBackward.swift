// snippet.softmax-backward
/// The backward pass of a row softmax `p = softmax(z)`: given `p` and `∂L/∂p`, returns
/// `∂L/∂z_i = p_i · (∂L/∂p_i − Σ_k p_k · ∂L/∂p_k)`, row by row. `(…, K)` → `(…, K)`.
///
/// It follows from `∂p_i/∂z_j = p_i(δ_ij − p_j)`: the Jacobian is never built, one dot product per row
/// is enough.
public func softmaxBackward(probabilities: Tensor, outputGradient: consuming Tensor) -> Tensor {
    checkShapes(probabilities.shape == outputGradient.shape,
                "softmaxBackward: probabilities \(probabilities.shape) and gradient \(outputGradient.shape) differ")
    if ComputePath.isFast { return fastSoftmaxBackward(probabilities: probabilities, outputGradient: consume outputGradient) }
    let (p, g) = (probabilities.scalars, outputGradient.scalars)
    let width = probabilities.shape.last ?? 0
    var result = outputGradient
    for start in stride(from: 0, to: p.count, by: max(width, 1)) {
        var dot: Float = 0  // Σ_k p_k · ∂L/∂p_k
        for k in start..<start + width { dot += p[k] * g[k] }
        for k in start..<start + width { result.scalars[k] = p[k] * (g[k] - dot) }
    }
    return result
}
// snippet.end
