/// The fast path's elementwise arithmetic. Each loop runs over a contiguous chunk of a fixed size, chunks
/// spread across cores; every element is computed alone, so the split cannot change a result, and each
/// gives the bits of its reference in `Tensor+Elementwise.swift`.
extension Tensor {
    /// A tensor whose elements `fill` writes, every one of them, through a pointer to the storage.
    ///
    /// For kernels that overwrite their whole output (a product with `beta = 0`, an elementwise map):
    /// zero-filling first would be a wasted pass over memory.
    @inline(__always)
    public init(shape: [Int], fillingEveryElement fill: (UnsafeMutablePointer<Float>) -> Void) {
        let count = shape.reduce(1, *)
        let scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress { fill(base) }
            initialized = count
        }
        self.init(shape: shape, scalars: scalars)
    }

    /// Calls `body` with a pointer to the first element (for BLAS and hand-written kernels). An empty
    /// tensor gets an aligned non-null pointer that must not be read, as BLAS expects.
    @inline(__always)
    public func withBase<Result>(_ body: (UnsafePointer<Float>) throws -> Result) rethrows -> Result {
        try scalars.withUnsafeBufferPointer {
            try body($0.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<Float>.alignment)!)
        }
    }


    /// Elements per parallel chunk: large enough that a chunk outweighs dispatching it.
    static let elementwiseGrain = 1 << 15

    /// `map` on the fast path: `result[i] = operation(self[i])`, in parallel chunks.
    @inline(__always)
    func fastMap(_ operation: @escaping @Sendable (Float) -> Float) -> Tensor {
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

    /// `a + b` on the fast path.
    static func fastElementwiseSum(_ a: Tensor, _ b: Tensor) -> Tensor { zip(a, b, "+") { x, y, z, range in for i in range { z[i] = x[i] + y[i] } } }

    /// `a - b` on the fast path.
    static func fastDifference(_ a: Tensor, _ b: Tensor) -> Tensor { zip(a, b, "-") { x, y, z, range in for i in range { z[i] = x[i] - y[i] } } }

    /// `a * b` on the fast path.
    static func fastProduct(_ a: Tensor, _ b: Tensor) -> Tensor { zip(a, b, "*") { x, y, z, range in for i in range { z[i] = x[i] * y[i] } } }

    /// `a * factor` on the fast path.
    static func fastScaled(_ a: Tensor, _ factor: Float) -> Tensor { a.mapChunks { x, y, range in for i in range { y[i] = x[i] * factor } } }

    /// `add(_:scaledBy:)` on the fast path.
    mutating func fastAdd(_ other: Tensor, scaledBy factor: Float) {
        update(with: other, "add(_:scaledBy:)") { y, x, range in for i in range { y[i] += factor * x[i] } }
    }

    /// `multiply(by:)` on the fast path.
    mutating func fastMultiply(by other: Tensor) {
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

    /// `addRowVector` on the fast path.
    mutating func fastAddRowVector(_ vector: Tensor) {
        let width = shape.last ?? 0
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

/// The fast path's sums, whose result never depends on the thread count: the data is cut into chunks of
/// a fixed size, each chunk is summed with SIMD accumulators, and the chunk sums are added in chunk order.
extension Tensor {
    /// Elements per chunk of a reduction, fixed so the summation order is always the same.
    static let reductionChunk = 1 << 14

    /// `sum()` on the fast path.
    func fastSum() -> Float { Float(sumOfChunks { Double(simdSum($0, $1)) }) }

    /// `sumOfSquares()` on the fast path.
    func fastSumOfSquares() -> Double {
        sumOfChunks { x, count in
            var lanes = SIMD8<Double>(repeating: 0)
            var i = 0
            while i + 8 <= count {
                let values = SIMD8<Double>(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
                lanes += values * values
                i += 8
            }
            var sum = lanes.sum()
            while i < count { sum += Double(x[i]) * Double(x[i]); i += 1 }
            return sum
        }
    }

    /// `chunkSum(first, count)` of every fixed chunk, the chunks in parallel, then the chunk sums added in
    /// chunk order in `Double`: the total is the same for any thread count.
    func sumOfChunks(_ chunkSum: @Sendable (UnsafePointer<Float>, Int) -> Double) -> Double {
        guard count > 0 else { return 0 }
        let chunks = (count + Self.reductionChunk - 1) / Self.reductionChunk
        var partial = [Double](repeating: 0, count: chunks)
        withBase { input in
            partial.withUnsafeMutableBufferPointer { sums in
                let x = SendablePointer(UnsafeMutablePointer(mutating: input)), s = SendablePointer(sums.baseAddress!)
                let total = count
                Parallel.forEachChunk(chunks) { chunk in
                    let start = chunk * Self.reductionChunk
                    s.base[chunk] = chunkSum(x.base + start, min(Self.reductionChunk, total - start))
                }
            }
        }
        return partial.reduce(0, +)
    }

    /// `sumOverRows()` on the fast path.
    func fastSumOverRows() -> Tensor {
        let width = shape.last!
        return withBase { base in
            let x = SendablePointer(UnsafeMutablePointer(mutating: base))
            return Tensor.columnSums(rows: width == 0 ? 0 : count / width, width: width) { row, accumulator in
                let line = x.base + row * width
                for j in 0..<width { accumulator[j] += line[j] }
            }
        }
    }

    /// The column sums `(width)` of `rows` rows that `addRow(row, accumulator)` adds into `accumulator`,
    /// one row at a time: rows in chunks of a fixed size spread over the cores, each chunk into its own
    /// accumulator, the chunks' sums then added in chunk order. A pass that computes rows can sum them
    /// on the way (GELU's backward, the bias gradient of fc1) with the bits of `sumOverRows()`.
    static func columnSums(
        rows rowCount: Int, width: Int, _ addRow: @Sendable (_ row: Int, _ accumulator: UnsafeMutablePointer<Float>) -> Void
    ) -> Tensor {
        let rowsPerChunk = max(1, reductionChunk / max(width, 1))
        let chunks = (rowCount + rowsPerChunk - 1) / rowsPerChunk
        var partial = [Float](repeating: 0, count: chunks * width)
        partial.withUnsafeMutableBufferPointer { sums in
            guard let base = sums.baseAddress else { return }
            let s = SendablePointer(base)
            Parallel.forEachChunk(chunks) { chunk in
                for row in chunk * rowsPerChunk..<min(rowCount, (chunk + 1) * rowsPerChunk) { addRow(row, s.base + chunk * width) }
            }
        }
        return sumInOrder(partial, rows: chunks, width: width)
    }

    /// The column sums of `rows` rows of partial sums, `(rows, width)` → `(width)`, added in row order:
    /// the second, serial stage of a chunked column sum. Row order, not thread order, fixes the bits.
    static func sumInOrder(_ partial: [Float], rows: Int, width: Int) -> Tensor {
        var result = Tensor(zeros: [width])
        result.scalars.withUnsafeMutableBufferPointer { sum in
            partial.withUnsafeBufferPointer { partial in
                for row in 0..<rows {
                    for j in 0..<width { sum[j] += partial[row * width + j] }
                }
            }
        }
        return result
    }
}

/// The sum of `count` floats from `pointer`, with sixteen lanes of accumulation so the loop vectorises
/// (Swift never reorders a floating-point sum by itself).
@inline(__always)
func simdSum(_ pointer: UnsafePointer<Float>, _ count: Int) -> Float {
    var lanes = SIMD16<Float>(repeating: 0)
    var i = 0
    while i + 16 <= count {
        lanes += UnsafeRawPointer(pointer + i).loadUnaligned(as: SIMD16<Float>.self)
        i += 16
    }
    var sum = lanes.sum()
    while i < count { sum += pointer[i]; i += 1 }
    return sum
}
