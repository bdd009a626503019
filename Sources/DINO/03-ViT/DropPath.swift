// snippet.droppath
/// Stochastic depth: each sample's residual branch is dropped with probability `rate` and otherwise
/// scaled by `1/(1 − rate)`, so its expected value is unchanged. Only the student uses it.
///
/// Returns the per-sample factors `(B)`: `0` or `1/(1 − rate)`; backward multiplies by the same factors.
public func dropPathFactors(batch: Int, rate: Float, using rng: inout some RandomNumberGenerator) -> [Float] {
    guard rate > 0 else { return [Float](repeating: 1, count: batch) }
    let keep = 1 - rate
    return (0..<batch).map { _ in rng.nextUniform() < keep ? 1 / keep : 0 }
}

/// Multiplies every row of sample `b` of a `(B, T, D)` tensor by `factors[b]`: the gradient of a branch.
public func scaleSamples(_ tensor: Tensor, by factors: [Float]) -> Tensor {
    checkShapes(tensor.rank >= 1 && tensor.shape[0] == factors.count,
                "scaleSamples: \(factors.count) factors for a batch of shape \(tensor.shape)")
    if factors.allSatisfy({ $0 == 1 }) { return tensor }
    let perSample = tensor.count / factors.count
    return tensor.mapChunks { x, y, range in
        forEachSample(in: range, perSample: perSample, factors) { stretch, factor in for j in stretch { y[j] = factor * x[j] } }
    }
}

/// The residual connection with DropPath, in one pass: `residual + factors[b] · branch` for every
/// sample `b` of two `(B, T, D)` tensors, in the branch's storage when the caller passes its last use.
public func addResidual(_ residual: Tensor, toBranch branch: consuming Tensor, scaledBy factors: [Float]) -> Tensor {
    checkShapes(branch.rank >= 1 && branch.shape[0] == factors.count,
                "addResidual: \(factors.count) factors for a batch of shape \(branch.shape)")
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
// snippet.end
