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
                for row in rows {
                    let (pRow, gRow) = (p.base + row * width, g.base + row * width)
                    var dot: Float = 0
                    for k in 0..<width { dot += pRow[k] * gRow[k] }
                    for k in 0..<width { gRow[k] = pRow[k] * (gRow[k] - dot) }
                }
            }
        }
    }
    return result
}
// snippet.end
