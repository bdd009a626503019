/// Layer normalisation over the last axis, `y = (x − μ) / √(σ² + ε) · γ + β`, with ε = 1e-6 as in
/// DINO's ViT (`partial(nn.LayerNorm, eps=1e-6)`). `(R, D)` → `(R, D)`, one `μ`, `σ²` per row.
public struct LayerNorm: Equatable, Sendable, Parameterized {
    /// `γ`, `[D]`, initialised to 1.
    public var weight: Tensor
    /// `β`, `[D]`, initialised to 0.
    public var bias: Tensor
    /// Added to the variance so a constant row does not divide by zero.
    public let epsilon: Float

    /// A layer norm of width `dimension` with `γ = 1`, `β = 0`.
    public init(dimension: Int, epsilon: Float = 1e-6) {
        weight = Tensor(shape: [dimension], repeating: 1)
        bias = Tensor(zeros: [dimension])
        self.epsilon = epsilon
    }

    /// What backward needs: the normalised rows `x̂` `(R, D)` and `1/σ` per row `(R)`.
    public struct Saved: Sendable {
        let normalized: Tensor
        let inverseDeviation: [Float]
    }

    // snippet.layernorm-forward
    /// `(R, D)` → `(R, D)`; statistics in `Double` so that rows with a large mean keep their digits.
    public func forward(_ input: Tensor) -> (output: Tensor, saved: Saved) {
        let width = weight.count
        checkShapes(input.shape.last == width, "LayerNorm.forward: input \(input.shape), expected rows of width \(width)")
        let rows = input.count / width
        var normalized = input, output = input
        var inverseDeviation = [Float](repeating: 0, count: rows)
        guard rows > 0 else { return (output, Saved(normalized: normalized, inverseDeviation: inverseDeviation)) }
        Self.withRows(rows: rows, input, &normalized.scalars, &output.scalars, &inverseDeviation, weight, bias) { x, xHat, y, inverse, gamma, beta, rowRange in
            for r in rowRange {
                let (row, xRow) = (r * width, x + r * width)
                // Mean and variance in Double: rows of large activations lose digits in Float.
                var sum = 0.0, sumOfSquares = 0.0
                for j in 0..<width { sum += Double(xRow[j]) }
                let mean = sum / Double(width)
                for j in 0..<width { let centred = Double(xRow[j]) - mean; sumOfSquares += centred * centred }
                inverse[r] = Float(1 / (sumOfSquares / Double(width) + Double(epsilon)).squareRoot())
                for j in 0..<width {
                    xHat[row + j] = (xRow[j] - Float(mean)) * inverse[r]
                    y[row + j] = xHat[row + j] * gamma[j] + beta[j]
                }
            }
        }
        return (output, Saved(normalized: normalized, inverseDeviation: inverseDeviation))
    }
    // snippet.end

    // snippet.layernorm-backward
    /// With `g = ∂L/∂y · γ`: `∂L/∂x = (g − mean(g) − x̂ · mean(g · x̂)) / σ` per row,
    /// `∂L/∂γ = Σ_rows ∂L/∂y · x̂`, `∂L/∂β = Σ_rows ∂L/∂y`.
    public func backward(_ outputGradient: Tensor, saved: Saved) -> (input: Tensor, parameters: LayerNorm) {
        let width = weight.count
        let rows = outputGradient.count / width
        var inputGradient = outputGradient
        // ∂L/∂γ and ∂L/∂β sum over rows: each fixed chunk of rows keeps its own partial sums, added in
        // chunk order afterwards, so the bits do not depend on the thread count.
        let chunks = (rows + Self.rowsPerChunk - 1) / Self.rowsPerChunk
        var partialWeight = [Float](repeating: 0, count: chunks * width), partialBias = partialWeight
        if rows > 0 {
            Self.withRows(rows: rows, outputGradient, &inputGradient.scalars, &partialWeight, &partialBias, saved.normalized, weight) { dy, dx, dGamma, dBeta, xHat, gamma, rowRange in
                let chunk = rowRange.lowerBound / Self.rowsPerChunk
                let (dGamma, dBeta) = (dGamma + chunk * width, dBeta + chunk * width)
                for r in rowRange {
                    let row = r * width
                    var meanG: Float = 0, meanGX: Float = 0
                    for j in 0..<width {
                        let g = dy[row + j] * gamma[j]
                        meanG += g
                        meanGX += g * xHat[row + j]
                        dGamma[j] += dy[row + j] * xHat[row + j]
                        dBeta[j] += dy[row + j]
                    }
                    meanG /= Float(width)
                    meanGX /= Float(width)
                    for j in 0..<width {
                        dx[row + j] = (dy[row + j] * gamma[j] - meanG - xHat[row + j] * meanGX) * saved.inverseDeviation[r]
                    }
                }
            }
        }
        var parameters = self
        parameters.weight = Tensor(zeros: [width])
        parameters.bias = Tensor(zeros: [width])
        for chunk in 0..<chunks {
            for j in 0..<width {
                parameters.weight.scalars[j] += partialWeight[chunk * width + j]
                parameters.bias.scalars[j] += partialBias[chunk * width + j]
            }
        }
        return (inputGradient, parameters)
    }
    // snippet.end

    /// Rows per chunk of work: fixed, so that partial sums never depend on the thread count.
    static let rowsPerChunk = 64

    /// Runs `body(read, written1, written2, written3, parameter1, parameter2, rows)` on chunks of
    /// `rowsPerChunk` rows in parallel, with pointers to the storage of each argument.
    static func withRows(
        rows: Int, _ read: Tensor, _ written1: inout [Float], _ written2: inout [Float], _ written3: inout [Float],
        _ parameter1: Tensor, _ parameter2: Tensor,
        _ body: @escaping @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                     UnsafePointer<Float>, UnsafePointer<Float>, Range<Int>) -> Void
    ) {
        func shared(_ pointer: UnsafePointer<Float>) -> SendablePointer<Float> { SendablePointer(UnsafeMutablePointer(mutating: pointer)) }
        read.withBase { read in
            parameter1.withBase { parameter1 in
                parameter2.withBase { parameter2 in
                    written1.withUnsafeMutableBufferPointer { written1 in
                        written2.withUnsafeMutableBufferPointer { written2 in
                            written3.withUnsafeMutableBufferPointer { written3 in
                                let pointers = (shared(read), SendablePointer(written1.baseAddress!), SendablePointer(written2.baseAddress!),
                                                SendablePointer(written3.baseAddress!), shared(parameter1), shared(parameter2))
                                Parallel.forEachRange(rows, grain: rowsPerChunk) { range in
                                    body(UnsafePointer(pointers.0.base), pointers.1.base, pointers.2.base, pointers.3.base,
                                         UnsafePointer(pointers.4.base), UnsafePointer(pointers.5.base), range)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `weight`, `bias`.
    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        try body(prefix + "weight", &weight)
        try body(prefix + "bias", &bias)
    }
}
