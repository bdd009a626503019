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
            let step = (steps[name] ?? 0) + 1
            steps[name] = step
            let decay = isRegularized(name: name, shape: parameter.shape) ? weightDecay : 0
            // Taken out of the dictionaries so that each is uniquely referenced and updated in place.
            var m = firstMoments.removeValue(forKey: name) ?? Tensor(zeros: parameter.shape)
            var v = secondMoments.removeValue(forKey: name) ?? Tensor(zeros: parameter.shape)
            let biasCorrection1 = 1 - Foundation.pow(Double(beta1), Double(step))
            let biasCorrection2Root = (1 - Foundation.pow(Double(beta2), Double(step))).squareRoot()
            let stepSize = Float(Double(learningRate) / biasCorrection1)
            let (root, eps, shrink) = (Float(biasCorrection2Root), epsilon, 1 - learningRate * decay)
            // The formulas above on eight elements at once: one division per element would otherwise
            // bound the pass, not memory (Swift still takes the eight square roots one by one).
            @Sendable @inline(__always) func update(_ p: inout FloatLanes, _ m: inout FloatLanes, _ v: inout FloatLanes, _ g: FloatLanes) {
                if decay != 0 { p *= shrink }                              // decoupled weight decay
                m = m * beta1 + g * (1 - beta1)                            // first moment
                v = v * beta2 + g * g * (1 - beta2)                        // second moment
                p -= stepSize * (m / (v.squareRoot() / root + eps))        // bias-corrected step
            }
            // One pass over the four arrays, eight elements at a time, the last few one at a time.
            Self.withPointers(&parameter, &m, &v, gradient) { p, m, v, g, range in
                var i = range.lowerBound
                while i + FloatLanes.scalarCount <= range.upperBound {
                    var (pLanes, mLanes, vLanes) = (p.lanes(at: i), m.lanes(at: i), v.lanes(at: i))
                    update(&pLanes, &mLanes, &vLanes, UnsafeMutablePointer(mutating: g).lanes(at: i))
                    p.setLanes(pLanes, at: i)
                    m.setLanes(mLanes, at: i)
                    v.setLanes(vLanes, at: i)
                    i += FloatLanes.scalarCount
                }
                for i in i..<range.upperBound {
                    var (pLane, mLane, vLane) = (FloatLanes(repeating: p[i]), FloatLanes(repeating: m[i]), FloatLanes(repeating: v[i]))
                    update(&pLane, &mLane, &vLane, FloatLanes(repeating: g[i]))
                    (p[i], m[i], v[i]) = (pLane[0], mLane[0], vLane[0])
                }
            }
            firstMoments[name] = m
            secondMoments[name] = v
        }
    }
    // snippet.end

    /// Runs `body` over chunks of the elements of the parameter, its moments and its gradient (all the
    /// same shape), in parallel.
    static func withPointers(
        _ parameter: inout Tensor, _ m: inout Tensor, _ v: inout Tensor, _ gradient: Tensor,
        _ body: @escaping @Sendable (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafePointer<Float>, Range<Int>) -> Void
    ) {
        checkShapes(gradient.shape == parameter.shape, "AdamW: gradient \(gradient.shape) for a parameter of shape \(parameter.shape)")
        let count = parameter.count
        guard count > 0 else { return }
        parameter.scalars.withUnsafeMutableBufferPointer { p in
            m.scalars.withUnsafeMutableBufferPointer { m in
                v.scalars.withUnsafeMutableBufferPointer { v in
                    gradient.withBase { g in
                        let pointers = (SendablePointer(p.baseAddress!), SendablePointer(m.baseAddress!), SendablePointer(v.baseAddress!),
                                        SendablePointer(UnsafeMutablePointer(mutating: g)))
                        Parallel.forEachRange(count, grain: Tensor.elementwiseGrain) { range in
                            body(pointers.0.base, pointers.1.base, pointers.2.base, UnsafePointer(pointers.3.base), range)
                        }
                    }
                }
            }
        }
    }
}
