import DINO

/// Exercise 04.2: the weight of a weight-normalised layer (book chapter 04, step 2): row `k` is
/// `W_k = g_k · v_k / ‖v_k‖`, for the directions `v` `(K, D)` and the magnitudes `g` `(K, 1)`.
public func exerciseWeightNormalizedWeight(direction: Tensor, magnitude: Tensor) -> Tensor {
    let (rows, columns) = (direction.shape[0], direction.shape[1])
    var weight = direction
    for k in 0..<rows {
        let row = direction.scalars[k * columns..<(k + 1) * columns]
        let norm = row.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        for j in 0..<columns { weight.scalars[k * columns + j] = magnitude.scalars[k] * direction.scalars[k * columns + j] / norm }
    }
    return weight
}
