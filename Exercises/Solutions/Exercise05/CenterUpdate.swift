import DINO

/// Exercise 05.1: Eq. 4, `c ← m·c + (1 − m)·mean of the teacher's rows` (book chapter 05, step 1).
///
/// `center` is `(1, K)`, `teacherOutput` the raw teacher logits `(N, K)`; returns the new centre `(1, K)`.
public func exerciseCenterUpdate(center: Tensor, teacherOutput: Tensor, momentum: Float) -> Tensor {
    let rows = teacherOutput.shape[0]
    let batchMean = (teacherOutput.sumOverRows() * (1 / Float(rows))).reshaped(center.shape)
    return center * momentum + batchMean * (1 - momentum)
}
