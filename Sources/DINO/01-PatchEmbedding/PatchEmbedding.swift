/// The ViT's first layer: a `p×p` convolution with stride `p`, computed as `patchify` followed by one
/// matrix product. `(B, C, H, W)` → `(B, N, D)`.
///
/// The weight keeps PyTorch's convolution layout `[D, C, p, p]` (`patch_embed.proj.weight`); its
/// row-major storage is exactly a `(D, C·p·p)` matrix, so no copy is needed to use it as one.
public struct PatchEmbedding: Equatable, Sendable, Parameterized {
    /// `[D, C, p, p]`, as `nn.Conv2d` stores it.
    public var weight: Tensor
    /// `[D]`.
    public var bias: Tensor

    /// The side of a square patch.
    public var patchSize: Int { weight.shape[2] }
    /// The number of image channels.
    public var channels: Int { weight.shape[1] }
    /// The embedding width `D`.
    public var dimension: Int { weight.shape[0] }

    /// A patch embedding over explicit parameters.
    public init(weight: Tensor, bias: Tensor) {
        checkShapes(weight.rank == 4 && weight.shape[2] == weight.shape[3] && bias.shape == [weight.shape[0]],
                    "PatchEmbedding: weight must be [D, C, p, p] and bias [D], got \(weight.shape) and \(bias.shape)")
        self.weight = weight
        self.bias = bias
    }

    /// The initialisation DINO leaves it with: its `_init_weights` resets only linear and LayerNorm
    /// layers, so the patch convolution keeps PyTorch's default for `nn.Conv2d`, weight and bias uniform
    /// in `±1/√(C·p·p)` (Kaiming-uniform with `a = √5`).
    public init(channels: Int, patchSize: Int, dimension: Int, using rng: inout some RandomNumberGenerator) {
        let bound = 1 / Float(channels * patchSize * patchSize).squareRoot()
        self.init(weight: .uniform([dimension, channels, patchSize, patchSize], in: -bound..<bound, using: &rng),
                  bias: .uniform([dimension], in: -bound..<bound, using: &rng))
    }

    /// The projection as a linear layer on flattened patches: `(D, C·p·p)`, same storage.
    var projection: Linear {
        Linear(weight: weight.reshaped([dimension, channels * patchSize * patchSize]), bias: bias)
    }

    // snippet.patch-embedding-forward
    /// `(B, C, H, W)` → `(B, N, D)`, and the flattened patches backward needs.
    public func forward(_ images: Tensor) -> (output: Tensor, patches: Tensor) {
        checkShapes(images.rank == 4 && images.shape[1] == channels,
                    "PatchEmbedding.forward: images \(images.shape) for a layer taking \(channels) channels (weight \(weight.shape))")
        let patches = patchify(images, patchSize: patchSize)  // (B·N, C·p·p)
        let tokens = projection.forward(patches).output         // (B·N, D)
        return (tokens.reshaped([images.shape[0], -1, dimension]), patches)
    }
    // snippet.end

    /// Given `∂L/∂tokens` `(B, N, D)`: the images' gradient `(B, C, H, W)` and the parameters'.
    public func backward(_ outputGradient: Tensor, patches: Tensor, imageShape: [Int]) -> (input: Tensor, parameters: PatchEmbedding) {
        let (patchGradient, linearGradient) = projection.backward(outputGradient.reshaped([-1, dimension]), input: patches)
        let parameters = PatchEmbedding(weight: linearGradient.weight.reshaped(weight.shape), bias: linearGradient.bias!)
        return (unpatchify(patchGradient, imageShape: imageShape, patchSize: patchSize), parameters)
    }

    /// `weight`, `bias`, as `nn.Conv2d` names them.
    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        try body(prefix + "weight", &weight)
        try body(prefix + "bias", &bias)
    }
}
