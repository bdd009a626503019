import VectorKernels

extension LayerNorm {
    /// `forward` on the fast path: chunks of rows on the cores, each on the AVX2 kernel where the CPU has it.
    func fastForward(_ input: Tensor) -> (output: Tensor, saved: Saved) {
        let (output, normalized, inverseDeviation) = normalize(input, keepingNormalized: true)
        return (output, Saved(normalized: normalized, inverseDeviation: inverseDeviation))
    }

    /// `callAsFunction` on the fast path: `x̂` is not kept.
    func fastInference(_ input: Tensor) -> Tensor { normalize(input, keepingNormalized: false).output }

    /// Rows `0..<rows` of `x`, `width` wide: `1/σ` per row into `inverse`, `x̂` into `xHat` when given,
    /// `y = x̂ · γ + β`.
    static func normalizeRows(
        _ x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float,
        xHat: UnsafeMutablePointer<Float>?, y: UnsafeMutablePointer<Float>, inverse: UnsafeMutablePointer<Float>, rows: Int, width: Int
    ) {
        for r in 0..<rows {
            let (row, xRow) = (r * width, x + r * width)
            // Mean and variance in Double: rows of large activations lose digits in Float.
            var sum = 0.0, sumOfSquares = 0.0
            for j in 0..<width { sum += Double(xRow[j]) }
            let mean = sum / Double(width)
            for j in 0..<width { let centred = Double(xRow[j]) - mean; sumOfSquares += centred * centred }
            inverse[r] = Float(1 / (sumOfSquares / Double(width) + Double(epsilon)).squareRoot())
            for j in 0..<width {
                let normalized = (xRow[j] - Float(mean)) * inverse[r]
                xHat?[row + j] = normalized
                y[row + j] = normalized * gamma[j] + beta[j]
            }
        }
    }

    /// `forward` and `callAsFunction`: `y`, `x̂` (empty unless kept) and `1/σ` per row, in parallel over
    /// chunks of rows, on the AVX2 kernel of VectorKernels.c when the CPU has it.
    func normalize(_ input: Tensor, keepingNormalized: Bool) -> (output: Tensor, normalized: Tensor, inverseDeviation: [Float]) {
        let width = weight.count
        checkShapes(input.shape.last == width, "LayerNorm.forward: input \(input.shape), expected rows of width \(width)")
        let rows = input.count / width
        // Every element is written below.
        var output = Tensor(shape: input.shape) { _ in }, normalized = Tensor(shape: keepingNormalized ? input.shape : [0]) { _ in }
        var inverseDeviation = [Float](repeating: 0, count: rows)
        guard rows > 0 else { return (output, normalized, inverseDeviation) }
        let epsilon = epsilon
        Self.withRows(rows: rows, input, &normalized.scalars, &output.scalars, &inverseDeviation, weight, bias) { x, xHat, y, inverse, gamma, beta, range in
            let offset = range.lowerBound * width
            let xHat = keepingNormalized ? xHat + offset : nil
            if vectorKernelsAvailable {
                dino_layernorm_rows(x + offset, gamma, beta, epsilon, xHat, y + offset, inverse + range.lowerBound, range.count, width)
            } else {
                Self.normalizeRows(x + offset, gamma: gamma, beta: beta, epsilon: epsilon, xHat: xHat, y: y + offset,
                                   inverse: inverse + range.lowerBound, rows: range.count, width: width)
            }
        }
        return (output, normalized, inverseDeviation)
    }

    /// `backward` on the fast path: chunks of rows on the cores; `∂L/∂γ` and `∂L/∂β` summed per chunk,
    /// the chunks added in order.
    func fastBackward(_ outputGradient: Tensor, saved: Saved) -> (input: Tensor, parameters: LayerNorm) {
        let width = weight.count
        let rows = outputGradient.count / width
        var inputGradient = Tensor(shape: outputGradient.shape) { _ in }  // every element written below
        // ∂L/∂γ and ∂L/∂β sum over rows: each fixed chunk of rows keeps its own partial sums, added in
        // chunk order afterwards, so the bits do not depend on the thread count.
        let chunks = (rows + Self.rowsPerChunk - 1) / Self.rowsPerChunk
        var partialWeight = [Float](repeating: 0, count: chunks * width), partialBias = partialWeight
        if rows > 0 {
            saved.inverseDeviation.withUnsafeBufferPointer { inverse in
                let inverse = SendablePointer(UnsafeMutablePointer(mutating: inverse.baseAddress!))
                Self.withRows(rows: rows, outputGradient, &inputGradient.scalars, &partialWeight, &partialBias, saved.normalized, weight) { dy, dx, dGamma, dBeta, xHat, gamma, range in
                    let chunk = range.lowerBound / Self.rowsPerChunk
                    let (offset, dGamma, dBeta) = (range.lowerBound * width, dGamma + chunk * width, dBeta + chunk * width)
                    if vectorKernelsAvailable {
                        dino_layernorm_backward_rows(dy + offset, xHat + offset, inverse.base + range.lowerBound, gamma, dx + offset,
                                                     dGamma, dBeta, range.count, width)
                    } else {
                        Self.backwardRows(dy + offset, xHat: xHat + offset, inverse: inverse.base + range.lowerBound, gamma: gamma,
                                          dx: dx + offset, dGamma: dGamma, dBeta: dBeta, rows: range.count, width: width)
                    }
                }
            }
        }
        var parameters = self
        parameters.weight = Tensor.sumInOrder(partialWeight, rows: chunks, width: width)
        parameters.bias = Tensor.sumInOrder(partialBias, rows: chunks, width: width)
        return (inputGradient, parameters)
    }

    /// Rows `0..<rows` of the backward pass: `dx`, and `dGamma`, `dBeta` accumulated in row order.
    static func backwardRows(
        _ dy: UnsafePointer<Float>, xHat: UnsafePointer<Float>, inverse: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>, dGamma: UnsafeMutablePointer<Float>, dBeta: UnsafeMutablePointer<Float>, rows: Int, width: Int
    ) {
        for r in 0..<rows {
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
                dx[row + j] = (dy[row + j] * gamma[j] - meanG - xHat[row + j] * meanGX) * inverse[r]
            }
        }
    }

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
                                // An empty buffer (x̂ at inference) has no address: pass one that is never written.
                                func base(_ buffer: UnsafeMutableBufferPointer<Float>) -> SendablePointer<Float> {
                                    SendablePointer(buffer.baseAddress ?? UnsafeMutablePointer(bitPattern: MemoryLayout<Float>.alignment)!)
                                }
                                let pointers = (shared(read), base(written1), base(written2), base(written3), shared(parameter1), shared(parameter2))
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
}
