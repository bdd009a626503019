/// Sums whose result never depends on the thread count: the data is cut into chunks of a fixed size,
/// each chunk is summed with SIMD accumulators, and the chunk sums are added in chunk order.
extension Tensor {
    /// Elements per chunk of a reduction, fixed so the summation order is always the same.
    static let reductionChunk = 1 << 14

    /// The sum of all elements.
    public func sum() -> Float { Float(sumOfChunks { Double(simdSum($0, $1)) }) }

    /// `Σ x²` over every element, accumulated in `Double`: the squared L2 norm.
    public func sumOfSquares() -> Double {
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

    /// The mean of all elements.
    public func mean() -> Float { count == 0 ? 0 : sum() / Float(count) }

    /// Column sums of a matrix: `(N, D)` → `(D)`, the gradient of a bias shared by all rows.
    public func sumOverRows() -> Tensor {
        checkShapes(rank >= 1, "sumOverRows: expects at least one dimension, got \(shape)")
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
