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
    if ComputePath.isFast { return fastScaleSamples(tensor, by: factors) }
    let perSample = tensor.count / max(factors.count, 1)
    return Tensor(shape: tensor.shape, scalars: tensor.scalars.enumerated().map { i, x in factors[i / perSample] * x })
}

/// The residual connection with DropPath: `residual + factors[b] · branch` for every sample `b` of two
/// `(B, T, D)` tensors.
public func addResidual(_ residual: Tensor, toBranch branch: consuming Tensor, scaledBy factors: [Float]) -> Tensor {
    checkShapes(branch.rank >= 1 && branch.shape[0] == factors.count && residual.shape == branch.shape,
                "addResidual: \(factors.count) factors, a residual of shape \(residual.shape) and a branch of shape \(branch.shape)")
    if ComputePath.isFast { return fastAddResidual(residual, toBranch: consume branch, scaledBy: factors) }
    return residual + scaleSamples(branch, by: factors)
}
// snippet.end
