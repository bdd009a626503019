import Foundation

// snippet.clipping
/// DINO's clipping: each parameter's gradient is scaled to norm `maximum` when its own norm exceeds it
/// (`clip / (‖g‖ + 1e-6)`, as the reference), **not** the global norm of all gradients. Returns the
/// norms before clipping, by name.
@discardableResult
public func clipGradientsPerParameter<Model: Parameterized>(_ gradients: inout Model, maximum: Float) -> [String: Float] {
    var norms = [String: Float]()
    gradients.visitParameters(prefix: "") { name, gradient in
        let norm = Float(gradient.sumOfSquares().squareRoot())
        norms[name] = norm
        let coefficient = maximum / (norm + 1e-6)
        if coefficient < 1 { gradient = gradient * coefficient }
    }
    return norms
}
// snippet.end
