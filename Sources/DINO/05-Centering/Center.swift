// snippet.center
/// The centre `c` of Eq. 4: an exponential moving average of the teacher's raw outputs,
/// `c ← m·c + (1 − m)·(1/B)·Σᵢ g_t(xᵢ)`, with `m = 0.9`. `(1, K)`.
///
/// Subtracting it from the teacher's logits stops one dimension from dominating (one of DINO's two
/// guards against collapse). It is updated **after** the loss, from the **raw** teacher outputs (before
/// centring and softmax), so each batch is centred with the previous centre.
public struct Center: Equatable, Sendable {
    /// `c`, `(1, K)`, zeros at the start.
    public var value: Tensor
    /// `m` (0.9 in DINO; 0.999 collapses, by the paper's ablation).
    public let momentum: Float

    /// A zero centre over `dimension` outputs, with DINO's momentum unless told otherwise (the
    /// default is the loss's options', chapter 06, where every default of the loss is written).
    public init(dimension: Int, momentum: Float = LossConfiguration.paper.centerMomentum) {
        value = Tensor(zeros: [1, dimension])
        self.momentum = momentum
    }

    /// Eq. 4 on a batch of raw teacher outputs `(N, K)`. With data-parallel workers, `sumAcrossWorkers`
    /// adds the workers' batch sums (the reference's `all_reduce`) and `workerCount` divides by them all.
    public mutating func update(teacherOutput: Tensor, sumAcrossWorkers: (Tensor) -> Tensor = { $0 }, workerCount: Int = 1) {
        checkShapes(teacherOutput.rank == 2 && teacherOutput.shape[1] == value.count,
                    "Center.update: teacher output \(teacherOutput.shape), expected (N, \(value.count))")
        let batchSum = sumAcrossWorkers(teacherOutput.sumOverRows())
        let batchMean = (batchSum * (1 / Float(teacherOutput.shape[0] * workerCount))).reshaped(value.shape)
        value = value * momentum + batchMean * (1 - momentum)
    }
}
// snippet.end
