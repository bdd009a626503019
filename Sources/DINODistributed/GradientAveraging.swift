import DINO

// snippet.gradient-averaging
/// Data parallelism's one rule: each rank computed the gradient of the mean loss over its equal share
/// of the global batch, so the mean of the ranks' gradients is the gradient of the mean loss over the
/// whole batch. Every parameter's gradient is laid end to end in one buffer (one bucket), summed across
/// ranks by one all-reduce, and divided by the number of ranks, before clipping, as DDP hands averaged
/// gradients to the reference's `clip_gradients`.
public func averageGradients<Model: Parameterized>(_ gradients: inout Model, across communicator: Communicator) throws {
    guard communicator.size > 1 else { return }
    var bucket = [Float]()
    gradients.visitParameters(prefix: "") { _, gradient in bucket += gradient.scalars }
    try communicator.sum(&bucket)
    let scale = 1 / Float(communicator.size)
    var offset = 0
    gradients.visitParameters(prefix: "") { _, gradient in
        for index in 0..<gradient.count { gradient.scalars[index] = bucket[offset + index] * scale }
        offset += gradient.count
    }
}
// snippet.end
