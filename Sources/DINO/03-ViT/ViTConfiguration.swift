/// The shape of a Vision Transformer: what `vit_tiny`, `vit_small` and `vit_base` fix, plus the input.
public struct ViTConfiguration: Codable, Equatable, Sendable {
    /// The side of the square training images (the grid the position embedding is learned for).
    public var imageSize: Int
    /// The side of a square patch.
    public var patchSize: Int
    /// Image channels: 1 for Fashion-MNIST, 3 for RGB.
    public var channels: Int
    /// The embedding width `D`.
    public var dimension: Int
    /// The number of blocks.
    public var depth: Int
    /// The number of attention heads; must divide `dimension`.
    public var heads: Int
    /// The MLP's hidden width as a multiple of `D`.
    public var mlpRatio: Int
    /// The last block's DropPath rate; block `i` uses `rate · i / (depth − 1)`.
    public var dropPathRate: Float

    /// DINO's stochastic depth for the student's last block (0.1): written once, here.
    public static let defaultDropPathRate: Float = 0.1

    /// A configuration with every field given.
    public init(imageSize: Int, patchSize: Int, channels: Int, dimension: Int, depth: Int, heads: Int,
                mlpRatio: Int = 4, dropPathRate: Float = defaultDropPathRate) {
        (self.imageSize, self.patchSize, self.channels) = (imageSize, patchSize, channels)
        (self.dimension, self.depth, self.heads, self.mlpRatio, self.dropPathRate) = (dimension, depth, heads, mlpRatio, dropPathRate)
    }

    /// The width and head count of the reference's architectures by name: `vit_tiny` (192, 3 heads),
    /// `vit_small` (384, 6), `vit_base` (768, 12).
    public static let architectures: [String: (dimension: Int, heads: Int)] = [
        "vit_tiny": (192, 3), "vit_small": (384, 6), "vit_base": (768, 12),
    ]

    /// The architectures of the reference by name, each of depth 12 unless `depth` is given.
    public static func named(_ architecture: String, imageSize: Int, patchSize: Int, channels: Int,
                             depth: Int = 12, dropPathRate: Float = defaultDropPathRate) throws -> ViTConfiguration {
        guard let (dimension, heads) = architectures[architecture] else {
            throw ConfigurationError("unknown architecture '\(architecture)'; expected one of \(architectures.keys.sorted().joined(separator: ", "))")
        }
        let configuration = ViTConfiguration(imageSize: imageSize, patchSize: patchSize, channels: channels,
                                             dimension: dimension, depth: depth, heads: heads, dropPathRate: dropPathRate)
        try configuration.validate()
        return configuration
    }

    /// The number of parameters of a ViT of this shape, counted from the formula (no model is built):
    /// CLS and position embeddings, patch projection, `depth` blocks (two norms, qkv, proj, fc1, fc2),
    /// the final norm.
    public var parameterCount: Int {
        let d = dimension, hidden = mlpRatio * dimension
        let embedding = d + (1 + grid * grid) * d + d * channels * patchSize * patchSize + d
        let block = 2 * 2 * d + (3 * d * d + 3 * d) + (d * d + d) + (hidden * d + hidden) + (d * hidden + d)
        return embedding + depth * block + 2 * d
    }

    /// The number of patches along each side of a training image.
    public var grid: Int { imageSize / patchSize }

    /// Throws a message naming the first option that cannot work.
    public func validate() throws {
        guard patchSize > 0 else { throw ConfigurationError("patch size must be positive, got \(patchSize)") }
        guard imageSize >= patchSize else { throw ConfigurationError("image size \(imageSize) is smaller than the patch size \(patchSize)") }
        guard imageSize % patchSize == 0 else { throw ConfigurationError("image size \(imageSize) is not a multiple of the patch size \(patchSize)") }
        guard channels > 0 else { throw ConfigurationError("channels must be positive, got \(channels)") }
        guard depth > 0 else { throw ConfigurationError("depth must be positive, got \(depth)") }
        guard heads > 0, dimension > 0, dimension % heads == 0 else {
            throw ConfigurationError("dimension \(dimension) must be a positive multiple of the head count \(heads)")
        }
        guard mlpRatio > 0 else { throw ConfigurationError("MLP ratio must be positive, got \(mlpRatio)") }
        // Far beyond any ViT (ViT-g is 1408 wide and 40 deep), and small enough that no size computed
        // from them overflows.
        guard dimension <= 16_384, depth <= 1_024, mlpRatio <= 64, imageSize <= 16_384 else {
            throw ConfigurationError("""
                a ViT of width \(dimension), depth \(depth), MLP ratio \(mlpRatio) on \(imageSize)² images is beyond the limits \
                (width ≤ 16384, depth ≤ 1024, MLP ratio ≤ 64, image side ≤ 16384)
                """)
        }
        guard dropPathRate >= 0, dropPathRate < 1 else { throw ConfigurationError("drop path rate must be in [0, 1), got \(dropPathRate)") }
    }

    /// Throws unless a crop of `height × width` with `channels` channels can go through this model.
    public func validateCrop(channels cropChannels: Int, height: Int, width: Int) throws {
        guard cropChannels == channels else {
            throw ConfigurationError("crop has \(cropChannels) channels, the model's patch embedding takes \(channels)")
        }
        guard height >= patchSize, width >= patchSize, height % patchSize == 0, width % patchSize == 0 else {
            throw ConfigurationError("crop \(height)×\(width) is not a positive multiple of the patch size \(patchSize)")
        }
    }
}
