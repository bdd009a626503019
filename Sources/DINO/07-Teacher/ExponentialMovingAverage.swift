// snippet.ema
/// The teacher's update: `θ_t ← λ·θ_t + (1 − λ)·θ_s` for every parameter, matched by name. λ weighs
/// the **teacher** (0.996 rising to 1), so the teacher moves slowly towards the student. Nothing here is
/// a gradient: the teacher never receives one.
public func updateTeacher<Model: Parameterized>(_ teacher: inout Model, towards student: Model, teacherMomentum momentum: Float) {
    checkArgument((0...1).contains(momentum), "updateTeacher: momentum must be in [0, 1], got \(momentum)")
    let studentParameters = Dictionary(uniqueKeysWithValues: student.namedParameters.map { ($0.name, $0.tensor) })
    teacher.visitParameters(prefix: "") { name, tensor in
        guard let source = studentParameters[name] else { fatalError("updateTeacher: the student has no parameter \(name)") }
        checkShapes(source.shape == tensor.shape, "updateTeacher: \(name) is \(tensor.shape) in the teacher, \(source.shape) in the student")
        if ComputePath.isFast { return fastMovingAverage(&tensor, towards: source, momentum: momentum) }
        for i in tensor.scalars.indices {
            tensor.scalars[i] = momentum * tensor.scalars[i] + (1 - momentum) * source.scalars[i]  // θ_t ← λ·θ_t + (1 − λ)·θ_s
        }
    }
}
// snippet.end
