import DINO

/// Exercise 02.2: one head's attention weights `softmax(Q·Kᵀ/√d)`, `(T, T)`, from its queries and keys
/// `(T, d)` (book chapter 02, step 2). Row `i` is query `i`'s distribution over the keys.
public func exerciseAttentionWeights(queries: Tensor, keys: Tensor) -> Tensor {
    // TODO: the scaled dot products, then a softmax along each row.
    return Tensor(zeros: [1])
}
