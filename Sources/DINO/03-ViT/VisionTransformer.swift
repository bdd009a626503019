/// The Vision Transformer DINO trains (DINO's and timm's `VisionTransformer`, pre-norm, CLS token).
/// Images `(B, C, H, W)` → tokens `(B, 1 + N, D)` after the final norm; the feature is the CLS token.
public struct VisionTransformer: Equatable, Sendable, Parameterized {
    /// The architecture.
    public let configuration: ViTConfiguration
    /// `cls_token`, `pos_embed`, `patch_embed`.
    public var embedding: TokenEmbedding
    /// `blocks.0` … `blocks.{depth−1}`.
    public var blocks: [Block]
    /// `norm`: the final LayerNorm, before the CLS feature is read.
    public var norm: LayerNorm

    /// A ViT with DINO's initialisation and DropPath rising linearly from 0 to `dropPathRate` over the
    /// blocks (`torch.linspace(0, rate, depth)`).
    public init(_ configuration: ViTConfiguration, using rng: inout some RandomNumberGenerator) {
        self.configuration = configuration
        let c = configuration
        embedding = TokenEmbedding(imageSize: c.imageSize, patchSize: c.patchSize, channels: c.channels, dimension: c.dimension, using: &rng)
        blocks = (0..<c.depth).map { i in
            let rate = c.depth > 1 ? c.dropPathRate * Float(i) / Float(c.depth - 1) : 0
            return Block(dimension: c.dimension, heads: c.heads, mlpRatio: c.mlpRatio, dropPathRate: rate, using: &rng)
        }
        norm = LayerNorm(dimension: c.dimension)
    }

    /// The same weights with no DropPath: how DINO's teacher is built from the student.
    public func withoutDropPath() -> VisionTransformer {
        var copy = self
        for i in copy.blocks.indices { copy.blocks[i].dropPathRate = 0 }
        return copy
    }

    /// What backward needs from every layer.
    public struct Saved: Sendable {
        /// The token embedding's saved values.
        public let embedding: TokenEmbedding.Saved
        /// Each block's saved values, first to last (the last one's attention weights are the maps).
        public let blocks: [Block.Saved]
        /// The final LayerNorm's saved values.
        public let norm: LayerNorm.Saved
        /// The tokens' shape `(B, T, D)`.
        public let tokenShape: [Int]
    }

    // snippet.vit-forward
    /// Images `(B, C, H, W)` → tokens `(B, 1 + N, D)` after the final norm.
    public func forward(_ images: Tensor, training: Bool, using rng: inout some RandomNumberGenerator) -> (output: Tensor, saved: Saved) {
        var (tokens, embeddingSaved) = embedding.forward(images)
        var blockSaved = [Block.Saved]()
        for block in blocks {
            let (output, saved) = block.forward(tokens, training: training, using: &rng)
            tokens = output
            blockSaved.append(saved)
        }
        let (normalized, normSaved) = norm.forward(tokens.reshaped([-1, configuration.dimension]))
        return (normalized.reshaped(tokens.shape),
                Saved(embedding: embeddingSaved, blocks: blockSaved, norm: normSaved, tokenShape: tokens.shape))
    }
    // snippet.end

    /// The CLS feature of each image, `(B, D)`, with no DropPath: what the teacher gives and k-NN uses.
    ///
    /// Inference only: images go through in chunks of about `featureTokenBudget` tokens and nothing is
    /// kept for a backward pass, so memory stays flat for any number of images, and every intermediate
    /// tensor stays under glibc's 32 MiB mapping threshold and is reused from the heap instead of being
    /// mapped, and zeroed by the kernel, afresh.
    public func features(_ images: Tensor) -> Tensor {
        inChunks(images, featureWidth: configuration.dimension) { chunk in
            var tokens = embedding.forward(chunk).output
            for block in blocks { tokens = block(tokens) }
            // The final LayerNorm works row by row: only the CLS rows are needed.
            return norm(Self.classTokens(tokens))
        }
    }

    /// `body`'s features `(B, featureWidth)` of images `(B, C, H, W)`, computed chunk by chunk of about
    /// `featureTokenBudget` tokens and stacked.
    package func inChunks(_ images: Tensor, featureWidth: Int, _ body: (Tensor) -> Tensor) -> Tensor {
        checkShapes(images.rank == 4, "features: images must be (B, C, H, W), got \(images.shape)")
        let tokensPerImage = (images.shape[2] / configuration.patchSize) * (images.shape[3] / configuration.patchSize) + 1
        let chunk = max(1, Self.featureTokenBudget / tokensPerImage)
        let parts = stride(from: 0, to: images.shape[0], by: chunk).map { start in
            body(images.rows(start..<min(images.shape[0], start + chunk)))
        }
        return parts.isEmpty ? Tensor(zeros: [0, featureWidth]) : Tensor.concatenated(parts)
    }

    /// Tokens per chunk in `features`: 6400 tokens of B1 (128 images of 28²) make a largest tensor, the
    /// MLP's hidden layer, of 19.7 MB.
    public static let featureTokenBudget = 6400

    /// The CLS features of images from outside, after checking that they fit this model: throws a message
    /// naming the mismatch (a side that is not a multiple of the patch size, another channel count)
    /// instead of stopping the program as `features` does on a programming error.
    public func checkedFeatures(_ images: Tensor) throws -> Tensor {
        guard images.rank == 4 else { throw ConfigurationError("images must be (B, C, H, W), got shape \(images.shape)") }
        try configuration.validateCrop(channels: images.shape[1], height: images.shape[2], width: images.shape[3])
        return features(images)
    }

    /// Row 0 of every sequence: `(B, T, D)` → `(B, D)`.
    public static func classTokens(_ tokens: Tensor) -> Tensor {
        let (batch, count, dimension) = (tokens.shape[0], tokens.shape[1], tokens.shape[2])
        var result = Tensor(zeros: [batch, dimension])
        for b in 0..<batch {
            for j in 0..<dimension { result.scalars[b * dimension + j] = tokens.scalars[b * count * dimension + j] }
        }
        return result
    }

    /// The gradient of the tokens when only the CLS features have one: `(B, D)` → `(B, T, D)`.
    public static func classTokenGradient(_ featureGradient: Tensor, tokenCount: Int) -> Tensor {
        let (batch, dimension) = (featureGradient.shape[0], featureGradient.shape[1])
        var result = Tensor(zeros: [batch, tokenCount, dimension])
        for b in 0..<batch {
            for j in 0..<dimension { result.scalars[b * tokenCount * dimension + j] = featureGradient.scalars[b * dimension + j] }
        }
        return result
    }

    /// Given `∂L/∂tokens` `(B, 1 + N, D)`: the images' gradient and every parameter's.
    public func backward(_ outputGradient: Tensor, saved: Saved) -> (input: Tensor, parameters: VisionTransformer) {
        var parameters = self
        let (normGradient, normParameters) = norm.backward(outputGradient.reshaped([-1, configuration.dimension]), saved: saved.norm)
        parameters.norm = normParameters
        var gradient = normGradient.reshaped(saved.tokenShape)
        for index in blocks.indices.reversed() {
            let (inputGradient, blockParameters) = blocks[index].backward(gradient, saved: saved.blocks[index])
            gradient = inputGradient
            parameters.blocks[index] = blockParameters
        }
        let (imageGradient, embeddingParameters) = embedding.backward(gradient, saved: saved.embedding)
        parameters.embedding = embeddingParameters
        return (imageGradient, parameters)
    }

    /// The reference's names: `cls_token`, `pos_embed`, `patch_embed.proj.*`, `blocks.{i}.*`, `norm.*`.
    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        try embedding.visitParameters(prefix: prefix, body)
        for i in blocks.indices { try blocks[i].visitParameters(prefix: prefix + "blocks.\(i).", body) }
        try norm.visitParameters(prefix: prefix + "norm.", body)
    }
}

extension Parameterized {
    /// Adds every parameter of `other` (the same model, e.g. another gradient) to this one's.
    public mutating func addParameters(of other: Self) {
        let others = other.namedParameters
        var index = 0
        visitParameters(prefix: "") { name, tensor in
            checkArgument(others[index].name == name, "addParameters: \(name) against \(others[index].name)")
            tensor.add(others[index].tensor)
            index += 1
        }
    }
}
