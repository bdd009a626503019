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

/// Multiplies every row of sample `b` of a `(B, T, D)` tensor by `factors[b]`.
public func scaleSamples(_ tensor: Tensor, by factors: [Float]) -> Tensor {
    checkShapes(tensor.rank >= 1 && tensor.shape[0] == factors.count,
                "scaleSamples: \(factors.count) factors for a batch of shape \(tensor.shape)")
    if factors.allSatisfy({ $0 == 1 }) { return tensor }
    var result = tensor
    let perSample = tensor.count / max(factors.count, 1)
    for (b, factor) in factors.enumerated() {
        for i in b * perSample..<(b + 1) * perSample { result.scalars[i] *= factor }
    }
    return result
}
// snippet.end
