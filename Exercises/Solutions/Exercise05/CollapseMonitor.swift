import DINO
import Foundation

/// Exercise 05.2: the collapse monitor of Eq. 5 for a batch of distributions `(B, K)` (book chapter
/// 05, step 3): the mean over rows of the teacher's entropy `h(P_t) = −Σ_k P_t ln P_t` (with
/// `0·ln 0 = 0`), and of `KL(P_t‖P_s) = Σ_k P_t (ln P_t − ln P_s)`, in nats.
public func exerciseCollapseMonitor(teacher: Tensor, student: Tensor) -> (teacherEntropy: Float, kl: Float) {
    let (rows, columns) = (teacher.shape[0], teacher.shape[1])
    var (entropy, kl) = (Double(0), Double(0))
    for i in 0..<rows * columns where teacher.scalars[i] > 0 {
        let (p, q) = (Double(teacher.scalars[i]), Double(student.scalars[i]))
        entropy -= p * log(p)
        kl += p * (log(p) - log(q))
    }
    return (Float(entropy / Double(rows)), Float(kl / Double(rows)))
}
