extension AdamW {
    /// The element-wise update of `step` on the fast path, eight elements at a time in parallel chunks:
    /// one division per element would otherwise bound the pass, not memory.
    func fastUpdate(
        _ parameter: inout Tensor, _ m: inout Tensor, _ v: inout Tensor, _ gradient: Tensor,
        learningRate: Float, stepSize: Float, root: Float, decay: Float
    ) {
        let (beta1, beta2) = betas
        let (eps, shrink) = (epsilon, 1 - learningRate * decay)
        // Swift still takes the eight square roots one by one.
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
