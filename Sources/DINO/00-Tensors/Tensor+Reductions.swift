/// Sums over a tensor, added in index order. On the fast path the elements are cut into chunks of a
/// fixed size, summed on several cores and the chunk sums added in chunk order (`Tensor+Fast.swift`):
/// another order, so other last bits, but the same for any thread count.
extension Tensor {
    /// The sum of all elements, accumulated in `Double`.
    public func sum() -> Float {
        if ComputePath.isFast { return fastSum() }
        return Float(scalars.reduce(0.0) { $0 + Double($1) })
    }

    /// `Σ x²` over every element, accumulated in `Double`: the squared L2 norm.
    public func sumOfSquares() -> Double {
        if ComputePath.isFast { return fastSumOfSquares() }
        return scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
    }

    /// The mean of all elements.
    public func mean() -> Float { count == 0 ? 0 : sum() / Float(count) }

    /// Column sums of a matrix: `(N, D)` → `(D)`, the gradient of a bias shared by all rows.
    public func sumOverRows() -> Tensor {
        checkShapes(rank >= 1, "sumOverRows: expects at least one dimension, got \(shape)")
        if ComputePath.isFast { return fastSumOverRows() }
        let width = shape[rank - 1]
        var result = Tensor(zeros: [width])
        for i in scalars.indices { result.scalars[i % width] += scalars[i] }
        return result
    }
}
