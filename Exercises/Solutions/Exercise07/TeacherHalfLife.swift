import DINO
import Foundation

/// Exercise 07.2: the teacher's half-life (book chapter 07, step 2): how many EMA steps with momentum
/// `λ` until a teacher that started at 0 has covered half the way to a student held at 1, as a real
/// number: the `n` with `1 − λⁿ = ½`.
public func exerciseTeacherHalfLife(momentum: Double) -> Double {
    log(0.5) / log(momentum)
}
