import DINO

/// Exercise 05.1: Eq. 4 when the batch is split across workers (book chapter 05, step 1).
///
/// `center` is `(1, K)`; `workerOutputs` holds each worker's raw teacher logits `(N_w, K)`, and the
/// workers' batches need not be the same size. Return the new centre `(1, K)`: the one a single worker
/// would compute from all the rows together.
public func exerciseDistributedCenterUpdate(center: Tensor, workerOutputs: [Tensor], momentum: Float) -> Tensor {
    // The workers add their row sums and their row counts (an all-reduce of each); the mean is their
    // ratio. The mean of the workers' means is wrong when their batches differ in size.
    var sum = Tensor(zeros: [center.shape[1]])
    var rows = 0
    for output in workerOutputs {
        sum.add(output.sumOverRows())
        rows += output.shape[0]
    }
    let batchMean = (sum * (1 / Float(rows))).reshaped(center.shape)
    return center * momentum + batchMean * (1 - momentum)
}
