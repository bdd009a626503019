import DINO

/// Exercise 05.1: Eq. 4, `c ← m·c + (1 − m)·mean of the teacher's rows` (book chapter 05, step 1).
///
/// `center` is `(1, K)`, `teacherOutput` the raw teacher logits `(N, K)`; returns the new centre `(1, K)`.
public func exerciseCenterUpdate(center: Tensor, teacherOutput: Tensor, momentum: Float) -> Tensor {
    // TODO: the batch mean of the rows, then the moving average.
    return center
}
