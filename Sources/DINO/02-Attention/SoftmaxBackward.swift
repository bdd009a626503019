// snippet.softmax-backward
/// The backward pass of a row softmax `p = softmax(z)`: given `p` and `∂L/∂p`, returns
/// `∂L/∂z_i = p_i · (∂L/∂p_i − Σ_k p_k · ∂L/∂p_k)`, row by row. `(…, K)` → `(…, K)`.
///
/// It follows from `∂p_i/∂z_j = p_i(δ_ij − p_j)`: the Jacobian is never built, one dot product per row
/// is enough.
public func softmaxBackward(probabilities: Tensor, outputGradient: consuming Tensor) -> Tensor {
    checkShapes(probabilities.shape == outputGradient.shape,
                "softmaxBackward: probabilities \(probabilities.shape) and gradient \(outputGradient.shape) differ")
    let width = probabilities.shape.last ?? 0
    var result = outputGradient  // reuses the storage when the caller passes its last use
    let rowCount = width == 0 ? 0 : probabilities.count / width
    probabilities.scalars.withUnsafeBufferPointer { pBuffer in
        result.scalars.withUnsafeMutableBufferPointer { gBuffer in
            let p = SendablePointer(UnsafeMutablePointer(mutating: pBuffer.baseAddress!)), g = SendablePointer(gBuffer.baseAddress!)
            Parallel.forEachRange(rowCount, grain: max(1, Tensor.elementwiseGrain / max(width, 1))) { rows in
                softmaxBackwardRows(probabilities: p.base + rows.lowerBound * width, gradient: g.base + rows.lowerBound * width,
                                    rows: rows.count, width: width)
            }
        }
    }
    return result
}

/// `softmaxBackward` in place on the calling core, for `rows` rows of `width`: `gradient` holds
/// `∂L/∂p` and becomes `∂L/∂z`.
public func softmaxBackwardRows(probabilities: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    for row in 0..<rows {
        let (p, g) = (probabilities + row * width, gradient + row * width)
        var dot: Float = 0
        for k in 0..<width { dot += p[k] * g[k] }
        for k in 0..<width { g[k] = p[k] * (g[k] - dot) }
    }
}
// snippet.end
