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
    // TODO: log_softmax(student / τ_s), then the pairs. `logSoftmax(_:temperature:)` is in the library.
    return 0
}
