import DINO

/// Exercise 07.1: the teacher's momentum update for one parameter (book chapter 07, step 2).
///
/// Returns `λ·teacher + (1 − λ)·student`, with `momentum` = λ weighing the teacher.
public func exerciseEMA(teacher: Tensor, student: Tensor, momentum: Float) -> Tensor {
    teacher * momentum + student * (1 - momentum)
}
