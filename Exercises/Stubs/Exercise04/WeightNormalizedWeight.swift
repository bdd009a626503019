import DINO

/// Exercise 04.2: the weight of a weight-normalised layer (book chapter 04, step 2): row `k` is
/// `W_k = g_k · v_k / ‖v_k‖`, for the directions `v` `(K, D)` and the magnitudes `g` `(K, 1)`.
public func exerciseWeightNormalizedWeight(direction: Tensor, magnitude: Tensor) -> Tensor {
    // TODO: each row scaled by its own magnitude over its own norm.
    return Tensor(zeros: [1])
}
