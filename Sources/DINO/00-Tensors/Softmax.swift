import Foundation

// snippet.softmax
/// Softmax over the last axis with a temperature: `p_i = exp(x_i / τ) / Σ_k exp(x_k / τ)`, Eq. 1 of the
/// paper. `(…, K)` → `(…, K)`, every row summing to 1.
///
/// The row maximum is subtracted first: the result is unchanged and `exp` never overflows.
public func softmax(_ logits: Tensor, temperature: Float = 1) -> Tensor {
    let (rank, width) = (logits.rank, logits.shape.last ?? 0)
    checkShapes(rank >= 1, "softmax: expects at least one dimension, got \(logits.shape)")
    checkArgument(temperature > 0, "softmax: temperature must be positive, got \(temperature)")
    if ComputePath.isFast { return fastSoftmax(logits, temperature: temperature) }
    var result = logits
    for start in stride(from: 0, to: logits.count, by: max(width, 1)) {
        let row = start..<start + width
        let maximum = logits.scalars[row].max() ?? 0
        let exponentials = logits.scalars[row].map { Float(exp(Double(($0 - maximum) / temperature))) }
        let sum = exponentials.reduce(0, +)
        for (k, value) in exponentials.enumerated() { result.scalars[start + k] = value / sum }
    }
    return result
}
// snippet.end
