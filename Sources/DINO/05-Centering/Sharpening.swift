// snippet.sharpening
/// The teacher's distribution: centre first, then sharpen with a low temperature,
/// `P_t = softmax((g_t − c) / τ_t)` (Eq. 1 with the centre of Eq. 4). `(N, K)` → `(N, K)`.
public func teacherProbabilities(_ teacherOutput: Tensor, center: Center, temperature: Float) -> Tensor {
    checkShapes(teacherOutput.rank == 2 && teacherOutput.shape[1] == center.value.count,
                "teacherProbabilities: teacher output \(teacherOutput.shape) for a centre of \(center.value.count)")
    // g − c for every row: adding −c is the same float as subtracting c.
    return softmax(teacherOutput.addingRowVector(center.value.reshaped([-1]) * -1), temperature: temperature)
}
// snippet.end
