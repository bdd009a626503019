import DINO
import Foundation

/// The memory a training run needs, estimated from its options before anything is allocated, so that
/// a run too large for the machine is refused at once rather than swapping or being killed hours in.
///
/// Counted in 4-byte floats: the parameters five times (student, teacher, gradients, AdamW's two
/// moments); the student's activations kept for the backward pass, for every crop of a batch; the
/// head's rows and the loss's `K`-wide tensors. It is a rough figure: for the `quick` preset it gives
/// 757 MiB where the whole process peaked at 769 MiB with its 220 MB of images. A run is refused only
/// when the estimate exceeds the machine's memory.
public struct MemoryEstimate: Equatable, Sendable {
    /// Bytes of parameters, gradients and optimiser moments.
    public var parameters: Int
    /// Bytes of activations kept for the backward pass (backbone and head, every crop).
    public var activations: Int
    /// The total in bytes.
    public var total: Int { parameters + activations }

    /// The estimate for `configuration`, or `nil` when its model is invalid or the count does not fit in
    /// 64 bits (no machine has that).
    public init?(_ configuration: TrainingConfiguration) {
        let backbone = configuration.backbone, head = configuration.head
        // Options not yet validated may hold anything: the parameter counts need the model's limits, and
        // every other size below is overflow-checked.
        guard (try? backbone.validate()) != nil, (try? head.validate()) != nil else { return nil }
        let floatBytes = MemoryLayout<Float>.size
        let hiddenWidth = Self.product([backbone.mlpRatio, backbone.dimension])
        // Per token per block: two norms, qkv, the attention output, the projection, the residuals (≈10 D),
        // the MLP's hidden layer before and after GELU (2 × hidden), and one row of attention weights per head.
        func blockFloats(tokens: Int?) -> Int? {
            let perToken = Self.sum([Self.product([10, backbone.dimension]), Self.product([2, hiddenWidth]), Self.product([backbone.heads, tokens])])
            return Self.product([perToken, tokens, backbone.depth])
        }
        func tokens(side: Int) -> Int? { Self.sum([Self.product([side / backbone.patchSize, side / backbone.patchSize]), 1]) }
        let globalTokens = tokens(side: configuration.globalCropSize), localTokens = tokens(side: configuration.augmentation.localCropSize)
        let crops = configuration.loss.cropCount
        // Per row of the head: each layer's output before and after GELU, the bottleneck, and three K-wide
        // tensors (logits, log-softmax, gradient); the teacher's probabilities are K wide per global crop.
        let headRow = Self.sum([Self.product([2, head.layerCount, head.hiddenDimension]), head.bottleneckDimension, Self.product([3, head.outputDimension])])
        guard let globalBlocks = blockFloats(tokens: globalTokens), let localBlocks = blockFloats(tokens: localTokens),
              let perImage = Self.sum([Self.product([2, globalBlocks]), Self.product([crops - 2, localBlocks]),
                                       Self.product([crops, headRow]), Self.product([2, head.outputDimension])]),
              let activationFloats = Self.product([perImage, configuration.batchSize]),
              let activations = Self.product([activationFloats, floatBytes]),
              let parameterCount = Self.sum([backbone.parameterCount, head.parameterCount]),
              let parameters = Self.product([parameterCount, 5, floatBytes]),
              Self.sum([parameters, activations]) != nil
        else { return nil }
        (self.parameters, self.activations) = (parameters, activations)
    }

    /// `values` multiplied, or `nil` on overflow.
    static func product(_ values: [Int?]) -> Int? {
        values.reduce(Int?(1)) { partial, value in
            guard let partial, let value else { return nil }
            let (result, overflow) = partial.multipliedReportingOverflow(by: value)
            return overflow ? nil : result
        }
    }

    /// `values` added, or `nil` on overflow.
    static func sum(_ values: [Int?]) -> Int? {
        values.reduce(Int?(0)) { partial, value in
            guard let partial, let value else { return nil }
            let (result, overflow) = partial.addingReportingOverflow(value)
            return overflow ? nil : result
        }
    }

    /// Throws the options' own message when they are invalid, and the figures when the run needs more
    /// than `available` bytes (the machine's memory).
    public static func check(_ configuration: TrainingConfiguration, available: UInt64 = ProcessInfo.processInfo.physicalMemory) throws {
        try configuration.validate()
        let gibibytes = { (bytes: Int) in String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }
        guard let estimate = MemoryEstimate(configuration) else {
            throw ConfigurationError("this run would need more memory than 64 bits can count; lower --batch-size, --out-dim or the model's size")
        }
        guard UInt64(estimate.total) <= available else {
            throw ConfigurationError("""
                this run needs at least \(gibibytes(estimate.total)) (\(gibibytes(estimate.parameters)) of weights and optimiser state, \
                \(gibibytes(estimate.activations)) of activations for a batch of \(configuration.batchSize)), more than this machine's \
                \(gibibytes(Int(clamping: available))); lower --batch-size, --local-crops-number, --out-dim or the model's size
                """)
        }
    }
}
