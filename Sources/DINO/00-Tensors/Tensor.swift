/// Stops the program with a message that names the operation and what was wrong.
///
/// `precondition` drops its message in release builds; a shape error must say which operation and
/// which shapes, whatever the build.
@inline(__always)
public func checkShapes(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("shape mismatch: " + message()) }
}

/// Stops the program with a message naming the function and the invalid argument, in every build
/// (for programming errors; inputs from users are validated earlier and throw).
@inline(__always)
public func checkArgument(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invalid argument: " + message()) }
}

// snippet.tensor
/// An n-dimensional array of `Float`: a shape and a flat, row-major (C-order) storage.
///
/// The element at index `(i₀, i₁, …, iₙ₋₁)` lives at `scalars[((i₀·s₁ + i₁)·s₂ + i₂)…]`: the last
/// index moves fastest. This is PyTorch's default layout, so weights cross over without transposing.
/// A value type: copies share storage until one is written (copy-on-write arrays).
public struct Tensor: Equatable, Sendable {
    /// The size of each dimension, outermost first: `[B, N, D]` for a batch of token sequences.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Float]

    /// A tensor of the given shape over `scalars` (row-major).
    public init(shape: [Int], scalars: [Float]) {
        checkShapes(shape.allSatisfy { $0 >= 0 }, "Tensor(shape:scalars:): negative dimension in \(shape)")
        checkShapes(
            shape.reduce(1, *) == scalars.count,
            "Tensor(shape:scalars:): shape \(shape) holds \(shape.reduce(1, *)) elements, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }
    // snippet.end

    /// A tensor of the given shape filled with `value`.
    public init(shape: [Int], repeating value: Float) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) { self.init(shape: shape, repeating: 0) }

    /// A one-dimensional tensor over `scalars`.
    public init(_ scalars: [Float]) { self.init(shape: [scalars.count], scalars: scalars) }

    /// The number of elements.
    public var count: Int { scalars.count }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// How far apart consecutive indices of each dimension lie in `scalars`.
    public var strides: [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 2, through: 0, by: -1) {
            strides[axis] = strides[axis + 1] * shape[axis + 1]
        }
        return strides
    }

    /// The element at a full multi-index.
    public subscript(_ index: Int...) -> Float {
        get { scalars[offset(of: index)] }
        set { scalars[offset(of: index)] = newValue }
    }

    private func offset(of index: [Int]) -> Int {
        checkShapes(index.count == shape.count, "subscript: index \(index) for a tensor of shape \(shape)")
        var offset = 0
        for (axis, i) in index.enumerated() {
            checkShapes(i >= 0 && i < shape[axis], "subscript: index \(index) out of range for shape \(shape)")
            offset = offset * shape[axis] + i
        }
        return offset
    }

    /// The same elements under another shape with the same element count (a `-1` is inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.filter { $0 != -1 }.reduce(1, *)
            checkShapes(known > 0 && count % known == 0, "reshaped: cannot infer -1 in \(newShape) from shape \(shape)")
            resolved[inferred] = count / known
        }
        checkShapes(
            resolved.reduce(1, *) == count,
            "reshaped: shape \(shape) (\(count) elements) cannot become \(newShape)")
        return Tensor(shape: resolved, scalars: scalars)
    }

    /// Rows `range` of the outermost dimension: `(N, …)` → `(range.count, …)`.
    public func rows(_ range: Range<Int>) -> Tensor {
        checkShapes(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
                    "rows: range \(range) out of bounds for shape \(shape)")
        let rowSize = count / max(shape[0], 1)
        return Tensor(shape: [range.count] + shape.dropFirst(),
                      scalars: Array(scalars[range.lowerBound * rowSize..<range.upperBound * rowSize]))
    }

    /// The 2-D transpose: `(M, N)` → `(N, M)`.
    public func transposed() -> Tensor {
        checkShapes(rank == 2, "transposed: expects a matrix, got shape \(shape)")
        let (m, n) = (shape[0], shape[1])
        var result = [Float](repeating: 0, count: count)
        for i in 0..<m { for j in 0..<n { result[j * m + i] = scalars[i * n + j] } }
        return Tensor(shape: [n, m], scalars: result)
    }

    /// Tensors with equal outer dimensions joined along the first axis.
    public static func concatenated(_ parts: [Tensor]) -> Tensor {
        guard let first = parts.first else { return Tensor(zeros: [0]) }
        let inner = Array(first.shape.dropFirst())
        for part in parts {
            checkShapes(Array(part.shape.dropFirst()) == inner,
                        "concatenated: shape \(part.shape) does not match \(first.shape) past the first axis")
        }
        return Tensor(shape: [parts.reduce(0) { $0 + $1.shape[0] }] + inner, scalars: parts.flatMap(\.scalars))
    }
}
