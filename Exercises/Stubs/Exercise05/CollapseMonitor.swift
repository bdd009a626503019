import DINO

/// Exercise 05.2: the collapse monitor of Eq. 5 for a batch of distributions `(B, K)` (book chapter
/// 05, step 3): the mean over rows of the teacher's entropy `h(P_t) = −Σ_k P_t ln P_t` (with
/// `0·ln 0 = 0`), and of `KL(P_t‖P_s) = Σ_k P_t (ln P_t − ln P_s)`, in nats.
public func exerciseCollapseMonitor(teacher: Tensor, student: Tensor) -> (teacherEntropy: Float, kl: Float) {
    // TODO: both sums per row, then the mean over the rows.
    return (0, 0)
}
