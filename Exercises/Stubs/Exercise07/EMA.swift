import DINO

/// Exercise 07.1: the teacher's momentum update for one parameter (book chapter 07, step 2).
///
/// Returns `λ·teacher + (1 − λ)·student`, with `teacherMomentum` = λ weighing the teacher.
public func exerciseEMA(teacher: Tensor, student: Tensor, teacherMomentum: Float) -> Tensor {
    // TODO: one line.
    return teacher
}
