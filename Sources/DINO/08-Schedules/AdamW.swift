import Foundation

/// Whether a parameter gets weight decay: DINO's `get_params_groups` exempts biases and every 1-D
/// parameter (LayerNorm weights and biases); `cls_token` and `pos_embed` (3-D) are decayed.
public func isRegularized(name: String, shape: [Int]) -> Bool {
    !(name.hasSuffix(".bias") || shape.count == 1)
}

/// AdamW as `torch.optim.AdamW`, with DINO's two parameter groups: weight decay (its schedule's value)
/// on the regularised group, none on biases and 1-D parameters.
///
/// Each parameter keeps its own step count, as PyTorch does: a parameter skipped in a step (the frozen
/// last layer during the first epoch, whose gradient the reference sets to `None`) does not advance
/// its moments or its bias correction.
public struct AdamW: Sendable {
    /// β₁, β₂.
    public let betas: (Float, Float)
    /// ε.
    public let epsilon: Float
    /// First moments by parameter name.
    public var firstMoments: [String: Tensor] = [:]
    /// Second moments by parameter name.
    public var secondMoments: [String: Tensor] = [:]
    /// Steps taken by each parameter.
    public var steps: [String: Int] = [:]

    /// An optimiser with PyTorch's defaults (0.9, 0.999, 1e-8).
    public init(betas: (Float, Float) = (0.9, 0.999), epsilon: Float = 1e-8) {
        self.betas = betas
        self.epsilon = epsilon
    }

    // snippet.adamw
    /// One step on every parameter of `model` whose name is not in `skipping`:
    /// `θ ← θ(1 − lr·wd)`, `m ← β₁m + (1 − β₁)g`, `v ← β₂v + (1 − β₂)g²`,
    /// `θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)`, with `wd = 0` outside the regularised group.
    public mutating func step<Model: Parameterized>(
        _ model: inout Model, gradients: Model, learningRate: Float, weightDecay: Float, skipping: Set<String> = []
    ) {
        let gradientsByName = Dictionary(uniqueKeysWithValues: gradients.namedParameters.map { ($0.name, $0.tensor) })
        let (beta1, beta2) = betas
        model.visitParameters(prefix: "") { name, parameter in
            guard !skipping.contains(name), let gradient = gradientsByName[name] else { return }
            checkShapes(gradient.shape == parameter.shape, "AdamW: gradient \(gradient.shape) for \(name) of shape \(parameter.shape)")
            let step = (steps[name] ?? 0) + 1
            steps[name] = step
            let decay = isRegularized(name: name, shape: parameter.shape) ? weightDecay : 0
            // Taken out of the dictionaries so that each is uniquely referenced and updated in place.
            var m = firstMoments.removeValue(forKey: name) ?? Tensor(zeros: parameter.shape)
            var v = secondMoments.removeValue(forKey: name) ?? Tensor(zeros: parameter.shape)
            let biasCorrection1 = 1 - Foundation.pow(Double(beta1), Double(step))
            let biasCorrection2Root = (1 - Foundation.pow(Double(beta2), Double(step))).squareRoot()
            let stepSize = Float(Double(learningRate) / biasCorrection1)
            let root = Float(biasCorrection2Root)
            if ComputePath.isFast {
                fastUpdate(&parameter, &m, &v, gradient, learningRate: learningRate, stepSize: stepSize, root: root, decay: decay)
            } else {
                for i in parameter.scalars.indices {
                    let g = gradient.scalars[i]
                    parameter.scalars[i] *= 1 - learningRate * decay                       // decoupled weight decay
                    m.scalars[i] = m.scalars[i] * beta1 + g * (1 - beta1)                  // first moment
                    v.scalars[i] = v.scalars[i] * beta2 + g * g * (1 - beta2)              // second moment
                    parameter.scalars[i] -= stepSize * (m.scalars[i] / (v.scalars[i].squareRoot() / root + epsilon))
                }
            }
            firstMoments[name] = m
            secondMoments[name] = v
        }
    }
    // snippet.end
}
