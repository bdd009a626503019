#if MPI
import CMPI
#endif
import DINO

// snippet.overlapped-averaging
/// Gradient averaging overlapped with the backward pass, as PyTorch's `DistributedDataParallel` does it.
/// The backward pass finishes the gradients in reverse order: the head's first, then the backbone's
/// final norm, then its blocks from the last to the first, then the token embedding. As each part is
/// complete its gradients go out as one **bucket** in a non-blocking sum (`MPI_Iallreduce`) while the
/// backward pass computes the next part; between parts the open sums are polled (`MPI_Test`), since this
/// Open MPI makes progress only when called. `finish` waits for the rest and writes the averages back.
///
/// Every element is still the sum of the same `N` numbers divided by `N`, so the result is the single
/// all-reduce's: bit for bit with 2 ranks (a + b = b + a), within rounding with more, where MPI may add
/// the ranks' values in another order for a bucket of another size.
public final class OverlappedAveraging {
    let communicator: Communicator
    /// The buckets sent: their parameters' names and sizes in order, and their values.
    private var buckets: [(names: [(name: String, count: Int)], values: UnsafeMutableBufferPointer<Float>, request: Communicator.Request)] = []

    /// Averaging for one step across `communicator`'s ranks.
    public init(across communicator: Communicator) { self.communicator = communicator }

    /// Starts summing `part`'s gradients (named with `prefix`, as in the whole model) across the ranks.
    public func send<Part: Parameterized>(_ part: Part, prefix: String) throws {
        guard communicator.size > 1 else { return }
        var part = part, names = [(name: String, count: Int)]()
        part.visitParameters(prefix: prefix) { name, gradient in names.append((name, gradient.count)) }
        // The buffer must not move while MPI owns it: allocated here, freed in `finish`.
        let values = UnsafeMutableBufferPointer<Float>.allocate(capacity: names.reduce(0) { $0 + $1.count })
        var offset = 0
        part.visitParameters(prefix: prefix) { _, gradient in
            for (index, value) in gradient.scalars.enumerated() { values[offset + index] = value }
            offset += gradient.count
        }
        buckets.append((names, values, try communicator.startSum(values)))
        try poll()
    }

    /// Lets MPI move the open sums forward.
    public func poll() throws {
        for index in buckets.indices { try communicator.test(&buckets[index].request) }
    }

    /// Waits for every bucket and writes each parameter's averaged gradient into `gradients`.
    public func finish<Model: Parameterized>(into gradients: inout Model) throws {
        guard communicator.size > 1 else { return }
        defer { for bucket in buckets { bucket.values.deallocate() }; buckets = [] }
        var place = [String: (bucket: Int, offset: Int, count: Int)]()  // where each parameter's sum is
        for index in buckets.indices {
            try communicator.wait(&buckets[index].request)
            var offset = 0
            for (name, count) in buckets[index].names {
                place[name] = (index, offset, count)
                offset += count
            }
        }
        let scale = 1 / Float(communicator.size)
        var missing = [String]()
        gradients.visitParameters(prefix: "") { name, gradient in
            guard let (bucket, offset, count) = place.removeValue(forKey: name), count == gradient.count else { missing.append(name); return }
            for index in 0..<count { gradient.scalars[index] = buckets[bucket].values[offset + index] * scale }
        }
        guard missing.isEmpty, place.isEmpty else {
            throw TrainingError("overlapped averaging: no bucket held \(missing.prefix(3)), and \(place.keys.sorted().prefix(3)) belonged to no parameter")
        }
    }
}

// snippet.end

// snippet.handing-over
extension MultiCropPass {
    /// `backward(_:featureGradient:)` that hands each part of the backbone to `ready` as soon as its
    /// gradient is complete: the final norm, the blocks from last to first, the token embedding (named as
    /// in the whole backbone). A part is complete in the last resolution group's pass, once the earlier
    /// groups' gradients for it are added; during the earlier groups' passes `progress` is called after
    /// every block, so that the sums already sent move on. Returns the same gradient as `backward`.
    public func backwardHandingOver(_ model: VisionTransformer, featureGradient: Tensor, progress: () throws -> Void,
                                    ready: (_ part: any Parameterized, _ prefix: String) throws -> Void) throws -> VisionTransformer {
        var total = model  // each part replaced by its gradient, summed over the groups
        var row = 0
        for (index, saved) in self.saved.enumerated() {
            let rows = saved.tokenShape[0]
            let tokenGradient = VisionTransformer.classTokenGradient(featureGradient.rows(row..<row + rows), tokenCount: tokenCounts[index])
            row += rows
            let (first, last) = (index == 0, index == self.saved.count - 1)
            // The backbone's backward written out (as `VisionTransformer.backward`), part by part.
            var (tokens, norm) = model.norm.backward(tokenGradient.reshaped([-1, model.configuration.dimension]), saved: saved.norm)
            if !first { norm.addParameters(of: total.norm) }
            total.norm = norm
            if last { try ready(norm, "norm.") }
            tokens = tokens.reshaped(saved.tokenShape)
            for block in model.blocks.indices.reversed() {
                var (input, parameters) = model.blocks[block].backward(tokens, saved: saved.blocks[block])
                if !first { parameters.addParameters(of: total.blocks[block]) }
                total.blocks[block] = parameters
                if last { try ready(parameters, "blocks.\(block).") } else { try progress() }
                tokens = input
            }
            var embedding = model.embedding.backward(tokens, saved: saved.embedding).parameters
            if !first { embedding.addParameters(of: total.embedding) }
            total.embedding = embedding
            if last { try ready(embedding, "") }
        }
        guard !self.saved.isEmpty else { throw TrainingError("a multi-crop pass without crops has no gradient") }
        return total
    }
}
// snippet.end
