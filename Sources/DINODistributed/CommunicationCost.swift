import DINO

// snippet.communication-cost
/// What data parallelism costs per training step: the bytes each rank exchanges, and the time a ring
/// all-reduce needs for them.
public enum CommunicationCost {
    /// Bytes summed across ranks in one step: every student gradient (one bucket of `Float`s), the
    /// teacher outputs' batch sum for the centre (`K` floats), and the logged loss (one `Double`).
    /// Multi-crop adds none: the crops change the compute, not the size of a gradient.
    public static func bytesPerStep(backbone: ViTConfiguration, head: HeadConfiguration) -> Int {
        let parameters = backbone.parameterCount + head.parameterCount
        return 4 * parameters + 4 * head.outputDimension + 8
    }

    /// Seconds for a ring all-reduce of `bytes` over `ranks` machines: each sends and receives
    /// `2(N − 1)/N · bytes` over links of `bitsPerSecond`, in `2(N − 1)` rounds of `latency` seconds.
    public static func ringAllReduceSeconds(bytes: Int, ranks: Int, bitsPerSecond: Double, latency: Double) -> Double {
        guard ranks > 1 else { return 0 }
        let n = Double(ranks)
        return 2 * (n - 1) / n * Double(bytes) * 8 / bitsPerSecond + 2 * (n - 1) * latency
    }
}
// snippet.end
