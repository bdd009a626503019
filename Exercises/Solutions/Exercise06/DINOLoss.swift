import DINO

/// Exercise 06.1: the multi-crop loss, Eq. 3 (book chapter 06, steps 1–2).
///
/// - Parameters:
///   - studentOutput: `(V·B, K)` logits, crop-major (all images of crop 0, then crop 1, …).
///   - teacherProbabilities: `(2·B, K)`, already centred and sharpened.
///   - cropCount: `V`.
///   - studentTemperature: `τ_s`.
/// - Returns: the mean over the `2V − 2` pairs `(i, v ≠ i)` of the batch mean of `H(P_t(i), P_s(v))`.
public func exerciseDINOLoss(studentOutput: Tensor, teacherProbabilities: Tensor, cropCount: Int, studentTemperature: Float) -> Float {
    let width = studentOutput.shape[1]
    let batch = studentOutput.shape[0] / cropCount
    let logProbabilities = logSoftmax(studentOutput, temperature: studentTemperature)
    var total: Float = 0
    var pairs = 0
    for i in 0..<2 {
        for v in 0..<cropCount where v != i {
            var pairSum: Float = 0
            for b in 0..<batch {
                for k in 0..<width {
                    pairSum -= teacherProbabilities[i * batch + b, k] * logProbabilities[v * batch + b, k]
                }
            }
            total += pairSum / Float(batch)
            pairs += 1
        }
    }
    return total / Float(pairs)
}
