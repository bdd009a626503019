import VectorKernels

extension AdamW {
    /// The element-wise update of `step` on the fast path, eight elements at a time in parallel chunks:
    /// one division per element would otherwise bound the pass, not memory. On the AVX2 kernel
    /// `dino_adamw_update` where the CPU has it: the same operations in the same order, with the eight
    /// square roots in one instruction (Swift takes them one by one, which bound the pass).
    func fastUpdate(
        _ parameter: inout Tensor, _ m: inout Tensor, _ v: inout Tensor, _ gradient: Tensor,
        learningRate: Float, stepSize: Float, root: Float, decay: Float
    ) {
        let (beta1, beta2) = betas
        let (eps, shrink) = (epsilon, 1 - learningRate * decay)
        Self.withPointers(&parameter, &m, &v, gradient) { p, m, v, g, range in
            let (first, count) = (range.lowerBound, range.count)
            if vectorKernelsAvailable {
                dino_adamw_update(p + first, m + first, v + first, g + first, count, beta1, beta2, stepSize, root, eps, shrink, decay != 0)
            } else {
                Self.updateLanes(p + first, m + first, v + first, g + first, count: count, beta1: beta1, beta2: beta2,
                                 stepSize: stepSize, root: root, epsilon: eps, shrink: shrink, decays: decay != 0)
            }
        }
    }

    /// `dino_adamw_update` in Swift: `count` parameters updated in place, eight at a time, the last few one
    /// at a time.
    static func updateLanes(
        _ p: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
        _ g: UnsafePointer<Float>, count: Int, beta1: Float, beta2: Float, stepSize: Float, root: Float,
        epsilon: Float, shrink: Float, decays: Bool
    ) {
        @inline(__always) func update(_ p: inout FloatLanes, _ m: inout FloatLanes, _ v: inout FloatLanes, _ g: FloatLanes) {
            if decays { p *= shrink }                                      // decoupled weight decay
            m = m * beta1 + g * (1 - beta1)                                // first moment
            v = v * beta2 + g * g * (1 - beta2)                            // second moment
            p -= stepSize * (m / (v.squareRoot() / root + epsilon))        // bias-corrected step
        }
        var i = 0
        while i + FloatLanes.scalarCount <= count {
            var (pLanes, mLanes, vLanes) = (p.lanes(at: i), m.lanes(at: i), v.lanes(at: i))
            update(&pLanes, &mLanes, &vLanes, UnsafeMutablePointer(mutating: g).lanes(at: i))
            p.setLanes(pLanes, at: i)
            m.setLanes(mLanes, at: i)
            v.setLanes(vLanes, at: i)
            i += FloatLanes.scalarCount
        }
        for i in i..<count {
            var (pLane, mLane, vLane) = (FloatLanes(repeating: p[i]), FloatLanes(repeating: m[i]), FloatLanes(repeating: v[i]))
            update(&pLane, &mLane, &vLane, FloatLanes(repeating: g[i]))
            (p[i], m[i], v[i]) = (pLane[0], mLane[0], vLane[0])
        }
    }

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
