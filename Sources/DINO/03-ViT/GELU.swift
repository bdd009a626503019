// snippet.gelu
/// The exact GELU, `x · Φ(x) = ½x(1 + erf(x/√2))`, as `nn.GELU()` (not the tanh approximation; `erf`
/// to 1e-6, see `fastErf`). Any shape.
public func gelu(_ input: Tensor) -> Tensor {
    return input.withBase { x in
        Tensor(shape: input.shape) { y in
            let (x, y) = (SendablePointer(UnsafeMutablePointer(mutating: x)), SendablePointer(y))
            Parallel.forEachRange(input.count, grain: Tensor.elementwiseGrain) { range in
                var i = range.lowerBound
                while i + FloatLanes.scalarCount <= range.upperBound {
                    y.base.setLanes(geluValue(x.base.lanes(at: i)), at: i)
                    i += FloatLanes.scalarCount
                }
                for i in i..<range.upperBound { y.base[i] = geluValue(FloatLanes(repeating: x.base[i]))[0] }
            }
        }
    }
}

/// GELU's backward: `∂L/∂x = ∂L/∂y · (Φ(x) + x · φ(x))`, with `φ` the standard normal density.
/// Writes into the output gradient's storage when the caller passes its last use.
public func geluBackward(_ outputGradient: consuming Tensor, input: Tensor) -> Tensor {
    checkShapes(outputGradient.shape == input.shape, "geluBackward: gradient \(outputGradient.shape) for input \(input.shape)")
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
/// `erf` and `exp` per element.
public func geluWithSlope(_ input: Tensor) -> (output: Tensor, slope: Tensor) {
    var slope = Tensor(zeros: [0])
    let output = input.withBase { x in
        Tensor(shape: input.shape) { y in
            slope = Tensor(shape: input.shape) { s in
                let (x, y, s) = (SendablePointer(UnsafeMutablePointer(mutating: x)), SendablePointer(y), SendablePointer(s))
                Parallel.forEachRange(input.count, grain: Tensor.elementwiseGrain) { range in
                    var i = range.lowerBound
                    while i + FloatLanes.scalarCount <= range.upperBound {
                        let (value, derivative) = geluValueAndSlope(x.base.lanes(at: i))
                        y.base.setLanes(value, at: i)
                        s.base.setLanes(derivative, at: i)
                        i += FloatLanes.scalarCount
                    }
                    for i in i..<range.upperBound {
                        let (value, derivative) = geluValueAndSlope(FloatLanes(repeating: x.base[i]))
                        (y.base[i], s.base[i]) = (value[0], derivative[0])
                    }
                }
            }
        }
    }
    return (output, slope)
}

/// GELU's backward from the slope kept by `geluWithSlope`: `∂L/∂x = ∂L/∂y · GELU′(x)`, in the output
/// gradient's storage when the caller passes its last use.
public func geluBackward(_ outputGradient: consuming Tensor, slope: Tensor) -> Tensor {
    checkShapes(outputGradient.shape == slope.shape, "geluBackward: gradient \(outputGradient.shape) for slope \(slope.shape)")
    var gradient = outputGradient
    gradient.multiply(by: slope)
    return gradient
}

/// `GELU(x)` and `GELU′(x)`, lane by lane, sharing one `erf` and one `exp`.
@inline(__always)
func geluValueAndSlope(_ x: FloatLanes) -> (value: FloatLanes, slope: FloatLanes) {
    let (erf, gaussian) = fastErfWithGaussian(x * 0.707_106_78)   // gaussian = exp(−x²/2)
    let cdf = 0.5 * (1 + erf)
    return (x * cdf, cdf + x * gaussian * 0.398_942_28)            // φ(x) = exp(−x²/2) / √(2π)
}

/// `GELU(x)`, lane by lane.
@inline(__always)
func geluValue(_ x: FloatLanes) -> FloatLanes { geluValueAndSlope(x).value }

/// `GELU′(x)`, lane by lane.
@inline(__always)
func geluSlope(_ x: FloatLanes) -> FloatLanes { geluValueAndSlope(x).slope }
// snippet.end
