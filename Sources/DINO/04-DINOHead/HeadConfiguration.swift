/// The shape of a DINO head.
public struct HeadConfiguration: Codable, Equatable, Sendable {
    /// The backbone's feature width `D`.
    public var inputDimension: Int
    /// `K`, the number of prototypes the softmax runs over (65 536 in the paper).
    public var outputDimension: Int
    /// The MLP's hidden width (2048).
    public var hiddenDimension: Int
    /// The bottleneck before the L2 normalisation (256).
    public var bottleneckDimension: Int
    /// Linear layers in the MLP (3).
    public var layerCount: Int
    /// Freeze `g = 1` in the last layer (on by default; the paper's choice for stability).
    public var normLastLayer: Bool

    /// A head configuration; the defaults are the paper's.
    public init(inputDimension: Int, outputDimension: Int = 65_536, hiddenDimension: Int = 2048,
                bottleneckDimension: Int = 256, layerCount: Int = 3, normLastLayer: Bool = true) {
        (self.inputDimension, self.outputDimension, self.hiddenDimension) = (inputDimension, outputDimension, hiddenDimension)
        (self.bottleneckDimension, self.layerCount, self.normLastLayer) = (bottleneckDimension, layerCount, normLastLayer)
    }

    /// The paper's head, its input width left to the backbone: where every default of a head is read
    /// (the training options start from it).
    public static let paper = HeadConfiguration(inputDimension: 0)

    /// The number of parameters: the MLP's linear layers with their biases, and the weight-normalised
    /// last layer (`v` of `K × bottleneck` and `g` of `K`).
    public var parameterCount: Int {
        let widths = layerCount == 1 ? [inputDimension, bottleneckDimension]
            : [inputDimension] + Array(repeating: hiddenDimension, count: max(0, layerCount - 1)) + [bottleneckDimension]
        let mlp = zip(widths, widths.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 + $1.1 }
        return mlp + outputDimension * bottleneckDimension + outputDimension
    }

    /// Throws a message naming the first option that cannot work.
    public func validate() throws {
        guard inputDimension > 0 else { throw ConfigurationError("head input dimension must be positive, got \(inputDimension)") }
        guard outputDimension > 0 else { throw ConfigurationError("out_dim (K) must be positive, got \(outputDimension)") }
        guard bottleneckDimension > 0 else { throw ConfigurationError("bottleneck dimension must be positive, got \(bottleneckDimension)") }
        guard hiddenDimension > 0 else { throw ConfigurationError("head hidden dimension must be positive, got \(hiddenDimension)") }
        guard layerCount >= 1 else { throw ConfigurationError("head layer count must be at least 1, got \(layerCount)") }
        // 16 times the paper's K and 32 times its widths: room to experiment, no size that overflows.
        guard outputDimension <= 1 << 20, hiddenDimension <= 1 << 16, bottleneckDimension <= 1 << 16, inputDimension <= 1 << 16, layerCount <= 64 else {
            throw ConfigurationError("""
                a head of \(layerCount) layers, widths \(inputDimension) → \(hiddenDimension) → \(bottleneckDimension) → K = \(outputDimension) is beyond the limits \
                (K ≤ 1048576, widths ≤ 65536, layers ≤ 64)
                """)
        }
    }
}
