/// `scaleSamples` on the fast path, in parallel chunks.
func fastScaleSamples(_ tensor: Tensor, by factors: [Float]) -> Tensor {
    if factors.allSatisfy({ $0 == 1 }) { return tensor }
    let perSample = tensor.count / factors.count
    return tensor.mapChunks { x, y, range in
        forEachSample(in: range, perSample: perSample, factors) { stretch, factor in for j in stretch { y[j] = factor * x[j] } }
    }
}

/// `addResidual` on the fast path, in one pass, in the branch's storage when the caller passes its last use.
func fastAddResidual(_ residual: Tensor, toBranch branch: consuming Tensor, scaledBy factors: [Float]) -> Tensor {
    var result = branch
    let perSample = result.count / max(factors.count, 1)
    result.update(with: residual, "addResidual") { y, x, range in
        forEachSample(in: range, perSample: perSample, factors) { stretch, factor in for j in stretch { y[j] = x[j] + factor * y[j] } }
    }
    return result
}

/// Splits `range` where it crosses from one sample to the next: `body(stretch, factors[sample])`.
@inline(__always)
func forEachSample(in range: Range<Int>, perSample: Int, _ factors: [Float], _ body: (Range<Int>, Float) -> Void) {
    var start = range.lowerBound
    while start < range.upperBound {
        let sample = start / perSample, end = min(range.upperBound, (sample + 1) * perSample)
        body(start..<end, factors[sample])
        start = end
    }
}
