import Foundation

// snippet.log-softmax
/// `log softmax(x / τ)` over the last axis: `x/τ − max − log Σ exp(x/τ − max)`, stable for any `x`.
public func logSoftmax(_ logits: Tensor, temperature: Float = 1) -> Tensor {
    checkArgument(temperature > 0, "logSoftmax: temperature must be positive, got \(temperature)")
    if ComputePath.isFast { return fastLogSoftmax(logits, temperature: temperature) }
    let width = logits.shape.last ?? 0
    var result = logits
    for start in stride(from: 0, to: logits.count, by: max(width, 1)) {
        let scaled = logits.scalars[start..<start + width].map { $0 / temperature }
        let maximum = scaled.max() ?? 0
        let logSum = Float(log(scaled.reduce(0.0) { $0 + exp(Double($1 - maximum)) }))
        for (k, value) in scaled.enumerated() { result.scalars[start + k] = value - maximum - logSum }
    }
    return result
}
// snippet.end
