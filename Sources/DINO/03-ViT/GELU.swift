import Foundation

// snippet.gelu
/// The exact GELU, `GELU(x) = x · Φ(x) = ½x(1 + erf(x/√2))`, as `nn.GELU()` (not the tanh
/// approximation), with `Φ` the standard normal distribution function. `(…, W)` → `(…, W)`.
public func gelu(_ input: Tensor) -> Tensor {
    if ComputePath.isFast { return fastGELU(input) }
    return Tensor(shape: input.shape, scalars: input.scalars.map { x in
        Float(0.5 * Double(x) * (1 + erf(Double(x) / 2.0.squareRoot())))
    })
}

/// GELU's slope, `GELU′(x) = Φ(x) + x · φ(x)`, with `φ(x) = exp(−x²/2) / √(2π)` the standard normal
/// density. `(…, W)` → `(…, W)`.
public func geluDerivative(_ input: Tensor) -> Tensor {
    Tensor(shape: input.shape, scalars: input.scalars.map { x in
        let x = Double(x)
        let cdf = 0.5 * (1 + erf(x / 2.0.squareRoot()))
        return Float(cdf + x * exp(-x * x / 2) / (2 * Double.pi).squareRoot())
    })
}

/// GELU's backward: `∂L/∂x = ∂L/∂y · GELU′(x)`, element by element.
public func geluBackward(_ outputGradient: Tensor, input: Tensor) -> Tensor {
    checkShapes(outputGradient.shape == input.shape, "geluBackward: gradient \(outputGradient.shape) for input \(input.shape)")
    if ComputePath.isFast { return fastGELUBackward(outputGradient, input: input) }
    return outputGradient * geluDerivative(input)
}
// snippet.end
