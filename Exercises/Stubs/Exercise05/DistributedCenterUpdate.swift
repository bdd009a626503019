import DINO

/// Exercise 05.1: Eq. 4 when the batch is split across workers (book chapter 05, step 1).
///
/// `center` is `(1, K)`; `workerOutputs` holds each worker's raw teacher logits `(N_w, K)`, and the
/// workers' batches need not be the same size. Return the new centre `(1, K)`: the one a single worker
/// would compute from all the rows together.
public func exerciseDistributedCenterUpdate(center: Tensor, workerOutputs: [Tensor], momentum: Float) -> Tensor {
    // TODO: what must the workers add up, and what do you divide by?
    return center
}
