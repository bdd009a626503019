/// One parameter's EMA on the fast path, `θ_t ← λ·θ_t + (1 − λ)·θ_s`, in parallel chunks, in place.
func fastMovingAverage(_ tensor: inout Tensor, towards source: Tensor, momentum: Float) {
    let count = tensor.count
    guard count > 0 else { return }
    tensor.scalars.withUnsafeMutableBufferPointer { teacherBuffer in
        source.withBase { studentBase in
            let (teacher, student) = (SendablePointer(teacherBuffer.baseAddress!), SendablePointer(UnsafeMutablePointer(mutating: studentBase)))
            Parallel.forEachRange(count, grain: Tensor.elementwiseGrain) { range in
                for i in range { teacher.base[i] = momentum * teacher.base[i] + (1 - momentum) * student.base[i] }
            }
        }
    }
}
