import DINO
import Testing

/// Checks an analytic gradient against central differences of `loss` at `point`, with a tolerance
/// suited to `Float` forward passes (`absolute + relative·|numeric|`).
public func expectGradient(
    _ analytic: Tensor, of loss: (Tensor) -> Double, at point: Tensor, step: Float = 1e-2,
    absolute: Float = 2e-3, relative: Float = 2e-2, _ label: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let numeric = numericalGradient(of: loss, at: point, step: step)
    assertClose(analytic, numeric, absolute: absolute, relative: relative, label, sourceLocation: sourceLocation)
}
