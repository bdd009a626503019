/// Elementwise arithmetic: each element of the result depends on the same element of the operands only.
/// On the fast path the same loops run in chunks across the cores (`Tensor+Fast.swift`), with the same bits.
extension Tensor {
    /// `result[i] = operation(self[i])`.
    public func map(_ operation: @escaping @Sendable (Float) -> Float) -> Tensor {
        if ComputePath.isFast { return fastMap(operation) }
        return Tensor(shape: shape, scalars: scalars.map(operation))
    }

    /// `result[i] = operation(a[i], b[i])` for two tensors of the same shape.
    static func combine(_ a: Tensor, _ b: Tensor, _ name: String, _ operation: (Float, Float) -> Float) -> Tensor {
        checkShapes(a.shape == b.shape, "\(name): shapes \(a.shape) and \(b.shape) differ")
        return Tensor(shape: a.shape, scalars: Swift.zip(a.scalars, b.scalars).map(operation))
    }

    /// Elementwise sum of two tensors of the same shape.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        if ComputePath.isFast { return fastElementwiseSum(a, b) }
        return combine(a, b, "+", +)
    }

    /// Elementwise difference of two tensors of the same shape.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        if ComputePath.isFast { return fastDifference(a, b) }
        return combine(a, b, "-", -)
    }

    /// Elementwise (Hadamard) product of two tensors of the same shape.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        if ComputePath.isFast { return fastProduct(a, b) }
        return combine(a, b, "*", *)
    }

    /// Every element times `factor`.
    public static func * (a: Tensor, factor: Float) -> Tensor {
        if ComputePath.isFast { return fastScaled(a, factor) }
        return Tensor(shape: a.shape, scalars: a.scalars.map { $0 * factor })
    }

    /// `self += factor · other` in place (BLAS's axpy), for accumulating gradients.
    public mutating func add(_ other: Tensor, scaledBy factor: Float = 1) {
        checkShapes(shape == other.shape, "add(_:scaledBy:): shapes \(shape) and \(other.shape) differ")
        if ComputePath.isFast { return fastAdd(other, scaledBy: factor) }
        for i in scalars.indices { scalars[i] += factor * other.scalars[i] }
    }

    /// `self *= other` element by element, in place.
    public mutating func multiply(by other: Tensor) {
        checkShapes(shape == other.shape, "multiply(by:): shapes \(shape) and \(other.shape) differ")
        if ComputePath.isFast { return fastMultiply(by: other) }
        for i in scalars.indices { scalars[i] *= other.scalars[i] }
    }

    /// Adds a vector to every row: `(…, D) + (D)` → `(…, D)`, the bias of a linear layer.
    public func addingRowVector(_ vector: Tensor) -> Tensor {
        var result = self
        result.addRowVector(vector)
        return result
    }

    /// Adds a vector to every row in place: `(…, D) += (D)`.
    public mutating func addRowVector(_ vector: Tensor) {
        let width = shape.last ?? 0
        checkShapes(vector.rank == 1 && vector.count == width,
                    "addRowVector: vector of shape \(vector.shape) for rows of width \(width) (tensor \(shape))")
        if ComputePath.isFast { return fastAddRowVector(vector) }
        for i in scalars.indices { scalars[i] += vector.scalars[i % width] }
    }
}
