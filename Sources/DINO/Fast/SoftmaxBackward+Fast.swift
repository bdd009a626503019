/// `softmaxBackward` on the fast path: rows spread over the cores, in the gradient's storage.
func fastSoftmaxBackward(probabilities: Tensor, outputGradient: consuming Tensor) -> Tensor {
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
