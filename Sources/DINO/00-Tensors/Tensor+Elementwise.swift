/// Elementwise arithmetic. Each loop runs over a contiguous chunk of a fixed size, chunks spread across
/// cores; every element is computed alone, so the split cannot change a result.
extension Tensor {
    /// Elements per parallel chunk: large enough that a chunk outweighs dispatching it.
    static let elementwiseGrain = 1 << 15

    /// `result[i] = operation(self[i])`, in parallel chunks.
    @inline(__always)
    public func map(_ operation: @escaping @Sendable (Float) -> Float) -> Tensor {
        mapChunks { x, y, range in for i in range { y[i] = operation(x[i]) } }
    }

    /// `body(self, result, range)` over parallel chunks of this tensor and a new result of its shape.
    /// The body holds the loop itself, so the compiler vectorises it: a closure called per element is not.
    @inline(__always)
    func mapChunks(_ body: @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Range<Int>) -> Void) -> Tensor {
        guard count > 0 else { return Tensor(zeros: shape) }
        return withBase { base in
            Tensor(shape: shape) { output in
                let (x, y) = (SendablePointer(UnsafeMutablePointer(mutating: base)), SendablePointer(output))
                Parallel.forEachRange(count, grain: Self.elementwiseGrain) { range in body(x.base, y.base, range) }
            }
        }
    }

    /// `body(a, b, result, range)` over parallel chunks of two tensors of the same shape and a new result.
    /// The body holds the loop itself, so the compiler vectorises it: a closure called per element is not.
    @inline(__always)
    static func zip(
        _ a: Tensor, _ b: Tensor, _ name: String,
        _ body: @Sendable (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Range<Int>) -> Void
    ) -> Tensor {
        checkShapes(a.shape == b.shape, "\(name): shapes \(a.shape) and \(b.shape) differ")
        guard a.count > 0 else { return Tensor(zeros: a.shape) }
        return a.withBase { aBase in
            b.withBase { bBase in
                Tensor(shape: a.shape) { output in
                    let (x, y, z) = (SendablePointer(UnsafeMutablePointer(mutating: aBase)), SendablePointer(UnsafeMutablePointer(mutating: bBase)), SendablePointer(output))
                    Parallel.forEachRange(a.count, grain: elementwiseGrain) { range in body(x.base, y.base, z.base, range) }
                }
            }
        }
    }

    /// Elementwise sum of two tensors of the same shape.
    public static func + (a: Tensor, b: Tensor) -> Tensor { zip(a, b, "+") { x, y, z, range in for i in range { z[i] = x[i] + y[i] } } }

    /// Elementwise difference of two tensors of the same shape.
    public static func - (a: Tensor, b: Tensor) -> Tensor { zip(a, b, "-") { x, y, z, range in for i in range { z[i] = x[i] - y[i] } } }

    /// Elementwise (Hadamard) product of two tensors of the same shape.
    public static func * (a: Tensor, b: Tensor) -> Tensor { zip(a, b, "*") { x, y, z, range in for i in range { z[i] = x[i] * y[i] } } }

    /// Every element times `factor`.
    public static func * (a: Tensor, factor: Float) -> Tensor { a.mapChunks { x, y, range in for i in range { y[i] = x[i] * factor } } }

    /// `self += factor · other` in place (BLAS's axpy), for accumulating gradients.
    public mutating func add(_ other: Tensor, scaledBy factor: Float = 1) {
        update(with: other, "add(_:scaledBy:)") { y, x, range in for i in range { y[i] += factor * x[i] } }
    }

    /// `self *= other` element by element, in place.
    public mutating func multiply(by other: Tensor) {
        update(with: other, "multiply(by:)") { y, x, range in for i in range { y[i] *= x[i] } }
    }

    /// `body(self, other, range)` over parallel chunks, writing `self` in place; the body holds the loop.
    @inline(__always)
    mutating func update(
        with other: Tensor, _ name: String, _ body: @Sendable (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Range<Int>) -> Void
    ) {
        checkShapes(shape == other.shape, "\(name): shapes \(shape) and \(other.shape) differ")
        let total = count
        guard total > 0 else { return }
        other.withBase { source in
            scalars.withUnsafeMutableBufferPointer { target in
                let x = SendablePointer(UnsafeMutablePointer(mutating: source)), y = SendablePointer(target.baseAddress!)
                Parallel.forEachRange(total, grain: Self.elementwiseGrain) { range in body(y.base, x.base, range) }
            }
        }
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
        let rowCount = width == 0 ? 0 : count / width
        guard rowCount > 0 else { return }
        scalars.withUnsafeMutableBufferPointer { output in
            vector.scalars.withUnsafeBufferPointer { bias in
                let y = SendablePointer(output.baseAddress!), b = SendablePointer(UnsafeMutablePointer(mutating: bias.baseAddress!))
                Parallel.forEachRange(rowCount, grain: max(1, Self.elementwiseGrain / max(width, 1))) { rows in
                    for row in rows {
                        let line = y.base + row * width
                        for j in 0..<width { line[j] += b.base[j] }
                    }
                }
            }
        }
    }
}
