import Foundation

// snippet.gelu
/// The exact GELU, `x · Φ(x) = ½x(1 + erf(x/√2))`, as `nn.GELU()` (not the tanh approximation; `erf`
/// to 1e-6, see `fastErf`).
public func gelu(_ input: Tensor) -> Tensor {
    input.map { x in 0.5 * x * (1 + fastErf(x * 0.707_106_78)) }
}

/// GELU's backward: `∂L/∂x = ∂L/∂y · (Φ(x) + x · φ(x))`, with `φ` the standard normal density.
public func geluBackward(_ outputGradient: Tensor, input: Tensor) -> Tensor {
    Tensor.zip(outputGradient, input, "geluBackward") { dy, x in
        let cdf = 0.5 * (1 + fastErf(x * 0.707_106_78))
        let density = fastExp(-0.5 * x * x) * 0.398_942_28  // 1/√(2π)
        return dy * (cdf + x * density)
    }
}
// snippet.end
