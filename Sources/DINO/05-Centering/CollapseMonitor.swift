import Foundation

// snippet.entropy
/// The mean entropy `h(P) = −Σ_k P_k log P_k` of the rows of `(N, K)` probabilities, in nats.
/// Collapse to one dimension drives it to 0; collapse to the uniform distribution drives it to `ln K`.
public func meanEntropy(_ probabilities: Tensor) -> Float {
    let width = probabilities.shape.last!
    let rows = probabilities.count / width
    var total = 0.0
    for row in 0..<rows {
        for k in 0..<width {
            let p = Double(probabilities.scalars[row * width + k])
            if p > 0 { total -= p * Foundation.log(p) }
        }
    }
    return Float(total / Double(rows))
}
// snippet.end

/// The quantities of Eq. 5 for one step, `H(P_t, P_s) = h(P_t) + KL(P_t ‖ P_s)`: the two ways DINO can
/// collapse show in them, and the trainer warns when they approach either limit.
public struct CollapseStatistics: Equatable, Sendable, Codable {
    /// `h(P_t)`: the teacher's mean entropy (→ 0 without centring).
    public var teacherEntropy: Float
    /// `KL(P_t ‖ P_s)` averaged over the loss's pairs (→ 0 when student and teacher agree: collapse or
    /// nothing left to learn).
    public var klDivergence: Float
    /// `h(mean P_t)`: the entropy of the batch's mean teacher distribution (→ 0 when every image is sent
    /// to the same dimension).
    public var meanDistributionEntropy: Float
    /// `ln K`: the entropy of the uniform distribution (the limit without sharpening).
    public var uniformEntropy: Float

    /// The statistics of one step.
    public init(teacherEntropy: Float, klDivergence: Float, meanDistributionEntropy: Float, uniformEntropy: Float) {
        (self.teacherEntropy, self.klDivergence) = (teacherEntropy, klDivergence)
        (self.meanDistributionEntropy, self.uniformEntropy) = (meanDistributionEntropy, uniformEntropy)
    }

    /// A warning when the teacher's entropy is within 2% of 0 or of `ln K`, or `nil`.
    public var collapseWarning: String? {
        if teacherEntropy < 0.02 * uniformEntropy {
            return "collapse: h(P_t) = \(teacherEntropy) is near 0, the teacher puts every image on one dimension (is centring on?)"
        }
        if teacherEntropy > 0.98 * uniformEntropy {
            return "collapse: h(P_t) = \(teacherEntropy) is near ln K = \(uniformEntropy), the teacher is uniform (is the teacher temperature too high?)"
        }
        return nil
    }
}
