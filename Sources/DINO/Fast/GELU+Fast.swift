import VectorKernels

/// `gelu` on the fast path, `erf` to 1e-6 (`fastErf`). A `bias` `(W)` is added to every row first: the
/// bias of the layer before, in this pass instead of a pass of its own.
func fastGELU(_ input: Tensor, addingBias bias: Tensor? = nil) -> Tensor {
    geluRows(input, bias: bias, keepingSlope: false).output
}

/// `geluBackward(_:input:)` on the fast path, in the output gradient's storage when the caller passes
/// its last use.
func fastGELUBackward(_ outputGradient: consuming Tensor, input: Tensor) -> Tensor {
    var gradient = outputGradient
    let count = input.count
    input.withBase { x in
        gradient.scalars.withUnsafeMutableBufferPointer { dy in
            guard let base = dy.baseAddress else { return }
            let (x, g) = (SendablePointer(UnsafeMutablePointer(mutating: x)), SendablePointer(base))
            Parallel.forEachRange(count, grain: Tensor.elementwiseGrain) { range in
                var i = range.lowerBound
                while i + FloatLanes.scalarCount <= range.upperBound {
                    g.base.setLanes(g.base.lanes(at: i) * geluSlope(x.base.lanes(at: i)), at: i)
                    i += FloatLanes.scalarCount
                }
                for i in i..<range.upperBound { g.base[i] *= geluSlope(FloatLanes(repeating: x.base[i]))[0] }
            }
        }
    }
    return gradient
}

/// GELU and its slope `GELU′(x) = Φ(x) + x · φ(x)` in one pass, for a layer that will run backward.
/// `erf(x/√2)` already computes `exp(−x²/2) = √(2π) · φ(x)`, so the slope costs a multiply-add here,
/// and the backward pass becomes one multiplication (`geluBackward(_:slope:)`) instead of a second
/// `erf` and `exp` per element. `bias` as in `gelu`.
public func geluWithSlope(_ input: Tensor, addingBias bias: Tensor? = nil) -> (output: Tensor, slope: Tensor) {
    let (output, slope) = geluRows(input, bias: bias, keepingSlope: true)
    return (output, slope)
}

/// GELU's backward from the slope kept by `geluWithSlope`, `(R, W)`: `∂L/∂x = ∂L/∂y · GELU′(x)`, in the
/// output gradient's storage when the caller passes its last use, and its column sums `(W)`: the
/// gradient of the bias added before GELU (`Σ_rows ∂L/∂x`, as `sumOverRows`), in the same pass.
func geluBackward(_ outputGradient: consuming Tensor, slope: Tensor) -> (input: Tensor, biasGradient: Tensor) {
    checkShapes(outputGradient.shape == slope.shape && slope.rank >= 1,
                "geluBackward: gradient \(outputGradient.shape) for slope \(slope.shape)")
    var gradient = outputGradient
    let width = slope.shape.last!
    let rows = width == 0 ? 0 : slope.count / width
    guard rows > 0 else { return (gradient, Tensor(zeros: [width])) }
    let biasGradient = slope.withBase { slopeBase in
        gradient.scalars.withUnsafeMutableBufferPointer { gradientBuffer in
            let (slopes, gradients) = (SendablePointer(UnsafeMutablePointer(mutating: slopeBase)), SendablePointer(gradientBuffer.baseAddress!))
            return Tensor.columnSums(rows: rows, width: width) { row, accumulator in
                let (g, slope) = (gradients.base + row * width, slopes.base + row * width)
                for j in 0..<width {
                    g[j] *= slope[j]
                    accumulator[j] += g[j]
                }
            }
        }
    }
    return (gradient, biasGradient)
}

/// `GELU(x)` and `GELU′(x)`, lane by lane, sharing one `erf` and one `exp`.
@inline(__always)
func geluValueAndSlope(_ x: FloatLanes) -> (value: FloatLanes, slope: FloatLanes) {
    let (erf, gaussian) = fastErfWithGaussian(x * 0.707_106_78)   // gaussian = exp(−x²/2)
    let cdf = 0.5 * (1 + erf)
    return (x * cdf, cdf + x * gaussian * 0.398_942_28)            // φ(x) = exp(−x²/2) / √(2π)
}

/// `GELU′(x)`, lane by lane.
@inline(__always)
func geluSlope(_ x: FloatLanes) -> FloatLanes { geluValueAndSlope(x).slope }

/// GELU over every row of `input` (plus `bias`), with its slope when `keepingSlope` (otherwise the
/// slope returned is empty). Runs the AVX2 kernel `dino_gelu_rows` when the CPU has it: the same
/// polynomials on eight lanes with fused multiply-adds, 2.5 times as fast as the Swift lanes of `geluLanes`,
/// which run everywhere else.
func geluRows(_ input: Tensor, bias: Tensor?, keepingSlope: Bool) -> (output: Tensor, slope: Tensor) {
    let width = input.shape.last ?? input.count
    if let bias { checkShapes(bias.shape == [width], "gelu: bias \(bias.shape) for rows of width \(width)") }
    let rows = width == 0 ? 0 : input.count / width
    // Both are written in full below.
    var output = Tensor(shape: input.shape) { _ in }
    var slope = Tensor(shape: keepingSlope ? input.shape : [0]) { _ in }
    guard rows > 0 else { return (output, slope) }
    input.withBase { x in
        (bias ?? Tensor(zeros: [0])).withBase { b in
            output.scalars.withUnsafeMutableBufferPointer { y in
                slope.scalars.withUnsafeMutableBufferPointer { s in
                    let x = SendablePointer(UnsafeMutablePointer(mutating: x)), y = SendablePointer(y.baseAddress!)
                    let b = bias == nil ? nil : SendablePointer(UnsafeMutablePointer(mutating: b))
                    let s = keepingSlope ? SendablePointer(s.baseAddress!) : nil
                    Parallel.forEachRange(rows, grain: max(1, Tensor.elementwiseGrain / width)) { range in
                        let offset = range.lowerBound * width
                        let slopeRows = s.map { $0.base + offset }
                        if vectorKernelsAvailable {
                            dino_gelu_rows(x.base + offset, b?.base, y.base + offset, slopeRows, range.count, width)
                        } else {
                            geluLanes(x.base + offset, bias: b?.base, y.base + offset, slope: slopeRows, rows: range.count, width: width)
                        }
                    }
                }
            }
        }
    }
    return (output, slope)
}

/// GELU of `rows` rows of `width` in place, their slope into `slope` when given, on the calling core: for
/// a product that applies it to each block of rows it has just written (`BLAS.gemm`'s `gelu`).
func geluInPlace(_ values: UnsafeMutablePointer<Float>, slope: UnsafeMutablePointer<Float>?, rows: Int, width: Int) {
    if vectorKernelsAvailable {
        dino_gelu_rows(values, nil, values, slope, rows, width)
    } else {
        geluLanes(values, bias: nil, values, slope: slope, rows: rows, width: width)
    }
}

/// `dino_gelu_rows` in Swift: GELU (and its slope, when `slope` is given) over `rows` rows of `width`,
/// `bias` added to each row first.
func geluLanes(
    _ x: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>?, _ y: UnsafeMutablePointer<Float>,
    slope: UnsafeMutablePointer<Float>?, rows: Int, width: Int
) {
    for row in 0..<rows {
        let (x, y, slope) = (x + row * width, y + row * width, slope.map { $0 + row * width })
        var j = 0
        while j + FloatLanes.scalarCount <= width {
            let (value, derivative) = geluValueAndSlope(x.lanes(at: j) + (bias?.lanes(at: j) ?? FloatLanes()))
            y.setLanes(value, at: j)
            slope?.setLanes(derivative, at: j)
            j += FloatLanes.scalarCount
        }
        for j in j..<width {
            let (value, derivative) = geluValueAndSlope(FloatLanes(repeating: x[j] + (bias?[j] ?? 0)))
            y[j] = value[0]
            slope?[j] = derivative[0]
        }
    }
}
