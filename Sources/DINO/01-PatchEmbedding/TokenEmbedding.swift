/// What the transformer reads: a CLS token followed by the patch tokens, each plus its position
/// embedding. `(B, C, H, W)` → `(B, 1 + N, D)`.
///
/// The position embedding is learned for the training grid `N₀ × N₀`; a crop with another grid (DINO's
/// local crops) uses it resampled by `BicubicInterpolation`, as the reference's `interpolate_pos_encoding`.
public struct TokenEmbedding: Equatable, Sendable, Parameterized {
    /// `patch_embed.proj`: the patch projection.
    public var patchEmbedding: PatchEmbedding
    /// `cls_token`, `[1, 1, D]`: a learned token whose final state is the image's feature.
    public var classToken: Tensor
    /// `pos_embed`, `[1, 1 + N₀², D]`: the CLS entry, then the patch grid row by row.
    public var positionEmbedding: Tensor

    /// The side of the grid the position embedding was learned for (`N₀`).
    public var sourceGrid: Int {
        Int(Double(positionEmbedding.shape[1] - 1).squareRoot().rounded())
    }

    /// DINO's initialisation: `cls_token` and `pos_embed` truncated normal with std 0.02, the patch
    /// projection PyTorch's default for a convolution (`PatchEmbedding.init`).
    public init(imageSize: Int, patchSize: Int, channels: Int, dimension: Int, using rng: inout some RandomNumberGenerator) {
        let grid = imageSize / patchSize
        patchEmbedding = PatchEmbedding(channels: channels, patchSize: patchSize, dimension: dimension, using: &rng)
        positionEmbedding = .truncatedNormal([1, 1 + grid * grid, dimension], std: 0.02, using: &rng)
        classToken = .truncatedNormal([1, 1, dimension], std: 0.02, using: &rng)
    }

    /// What backward needs: the patches, the image shape and the resampling matrix (if any).
    public struct Saved: Sendable {
        let patches: Tensor
        let imageShape: [Int]
        let resampling: Tensor?
    }

    // snippet.position-embedding
    /// The position embedding for a `gridHeight × gridWidth` patch grid: `(1 + h·w, D)`, the CLS entry
    /// kept, the patch entries resampled; also the `(h·w, N₀²)` resampling matrix, or `nil` when the
    /// grid is the training grid (the reference returns the embedding unchanged then).
    public func positionEmbedding(gridHeight: Int, gridWidth: Int) -> (embedding: Tensor, resampling: Tensor?) {
        let dimension = patchEmbedding.dimension
        let table = positionEmbedding.reshaped([-1, dimension])
        if gridHeight == sourceGrid && gridWidth == sourceGrid { return (table, nil) }
        let resampling = BicubicInterpolation.matrix(sourceGrid: sourceGrid, targetHeight: gridHeight, targetWidth: gridWidth)
        let patchPart = matmul(resampling, table.rows(1..<table.shape[0]))  // (h·w, N₀²) · (N₀², D)
        return (Tensor.concatenated([table.rows(0..<1), patchPart]), resampling)
    }
    // snippet.end

    // snippet.token-embedding-forward
    /// `(B, C, H, W)` → `(B, 1 + N, D)`: `[CLS; patch tokens] + position embedding`.
    public func forward(_ images: Tensor) -> (output: Tensor, saved: Saved) {
        let (patchTokens, patches) = patchEmbedding.forward(images)  // (B, N, D)
        let (batch, patchCount, dimension) = (patchTokens.shape[0], patchTokens.shape[1], patchTokens.shape[2])
        let p = patchEmbedding.patchSize
        let (position, resampling) = positionEmbedding(gridHeight: images.shape[2] / p, gridWidth: images.shape[3] / p)
        var tokens = [Float]()
        tokens.reserveCapacity(batch * (1 + patchCount) * dimension)
        for b in 0..<batch {
            tokens += zip(classToken.scalars, position.scalars).map(+)                  // CLS + its position
            let patchRows = patchTokens.scalars[b * patchCount * dimension..<(b + 1) * patchCount * dimension]
            tokens += zip(patchRows, position.scalars[dimension...]).map(+)             // patches + theirs
        }
        return (Tensor(shape: [batch, 1 + patchCount, dimension], scalars: tokens),
                Saved(patches: patches, imageShape: images.shape, resampling: resampling))
    }
    // snippet.end

    // snippet.token-embedding-backward
    /// Given `∂L/∂tokens` `(B, 1 + N, D)`: the images' gradient and the parameters'. The CLS token and
    /// every position entry are shared by the batch, so their gradients sum over it; the resampled
    /// entries send theirs back through the transposed resampling matrix.
    public func backward(_ outputGradient: Tensor, saved: Saved) -> (input: Tensor, parameters: TokenEmbedding) {
        let (batch, tokenCount, dimension) = (outputGradient.shape[0], outputGradient.shape[1], outputGradient.shape[2])
        // Σ over the batch: every image adds to the same table.
        let positionGradient = outputGradient.reshaped([batch, tokenCount * dimension]).sumOverRows().reshaped([tokenCount, dimension])
        var patchTokenGradient = [Float]()  // every token's gradient but the class token's
        patchTokenGradient.reserveCapacity(batch * (tokenCount - 1) * dimension)
        for b in 0..<batch {
            patchTokenGradient += outputGradient.scalars[(b * tokenCount + 1) * dimension..<(b + 1) * tokenCount * dimension]
        }
        let (imageGradient, patchParameters) = patchEmbedding.backward(
            Tensor(shape: [batch, tokenCount - 1, dimension], scalars: patchTokenGradient), patches: saved.patches, imageShape: saved.imageShape)
        let classGradient = positionGradient.rows(0..<1).reshaped([1, 1, dimension])
        var tableGradient = positionGradient
        if let resampling = saved.resampling {
            let sourceGradient = matmul(resampling, positionGradient.rows(1..<tokenCount), transposeA: true)  // (N₀², D)
            tableGradient = Tensor.concatenated([positionGradient.rows(0..<1), sourceGradient])
        }
        var parameters = self
        parameters.patchEmbedding = patchParameters
        parameters.classToken = classGradient
        parameters.positionEmbedding = tableGradient.reshaped(positionEmbedding.shape)
        return (imageGradient, parameters)
    }
    // snippet.end

    /// `cls_token`, `pos_embed`, `patch_embed.proj.weight`, `patch_embed.proj.bias`.
    public mutating func visitParameters(prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        try body(prefix + "cls_token", &classToken)
        try body(prefix + "pos_embed", &positionEmbedding)
        try patchEmbedding.visitParameters(prefix: prefix + "patch_embed.proj.", body)
    }
}
