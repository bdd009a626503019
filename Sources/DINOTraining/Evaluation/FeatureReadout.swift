import DINO

/// Which of the backbone's tokens make an image's feature when it is evaluated, as DINO's
/// `eval_linear.py` reads them: the class tokens of the last `lastBlocks` blocks, each through the final
/// LayerNorm, side by side, and with `averagePooledPatches` the mean of the last block's patch tokens
/// (after the same norm) after them. DINO's linear probe reads 4 blocks for ViT-S (and so for ViT-Tiny)
/// and 1 block with the pooled patches for ViT-B; its k-NN reads the last class token alone.
///
/// Layout of a feature row: `[CLS(L−n+1) | … | CLS(L) | mean of patches(L)]`, each `D` wide, for `L`
/// blocks. DINO interleaves the last two when it pools (a reshape of a `(B, D, 2)` stack); a linear probe
/// and a cosine k-NN are indifferent to the order of the columns.
public struct FeatureReadout: Codable, Equatable, Sendable {
    /// `n`: how many of the last blocks give their class token (DINO's `--n_last_blocks`).
    public var lastBlocks: Int
    /// Whether the average of the last block's patch tokens is appended (DINO's `--avgpool_patchtokens`).
    public var averagePooledPatches: Bool

    /// A readout of the last `lastBlocks` class tokens, with the pooled patch tokens or not.
    public init(lastBlocks: Int, averagePooledPatches: Bool) {
        (self.lastBlocks, self.averagePooledPatches) = (lastBlocks, averagePooledPatches)
    }

    /// The last block's class token alone: the feature k-NN uses and `VisionTransformer.features` gives.
    public static let classToken = FeatureReadout(lastBlocks: 1, averagePooledPatches: false)

    /// DINO's linear probe for its small models: the class tokens of the last 4 blocks.
    public static let linearProbe = FeatureReadout(lastBlocks: 4, averagePooledPatches: false)

    /// The width of a feature row for a backbone of `dimension` features: `D · (n + pooled)`.
    public func width(dimension: Int) -> Int { dimension * (lastBlocks + (averagePooledPatches ? 1 : 0)) }

    /// The columns of the last block's class token in a feature row (the k-NN feature within it).
    public func lastClassTokenColumns(dimension: Int) -> Range<Int> { (lastBlocks - 1) * dimension..<lastBlocks * dimension }

    /// Throws unless the backbone has the blocks to read: `1 ≤ n ≤ depth`.
    public func validate(depth: Int) throws {
        guard (1...max(1, depth)).contains(lastBlocks) else {
            throw ConfigurationError("--n-last-blocks must be between 1 and the backbone's depth \(depth), got \(lastBlocks)")
        }
    }

    /// A short description for logs: "class tokens of the last 4 blocks + pooled patches".
    public var description: String {
        (lastBlocks == 1 ? "class token of the last block" : "class tokens of the last \(lastBlocks) blocks")
            + (averagePooledPatches ? " + average-pooled patch tokens" : "")
    }
}

extension VisionTransformer {
    // snippet.readout
    /// The features `(B, readout.width(D))` of images `(B, C, H, W)` as `readout` reads them, with no
    /// DropPath and nothing kept for a backward pass. `features(images, readout: .classToken)` equals
    /// `features(images)`.
    public func features(_ images: Tensor, readout: FeatureReadout) -> Tensor {
        checkShapes((1...blocks.count).contains(readout.lastBlocks), "features: \(readout.lastBlocks) last blocks of \(blocks.count)")
        return inChunks(images, featureWidth: readout.width(dimension: configuration.dimension)) { chunk in
            var tokens = embedding.forward(chunk).output
            var parts = [Tensor]()
            for (index, block) in blocks.enumerated() {
                tokens = block(tokens)
                if index >= blocks.count - readout.lastBlocks { parts.append(norm(Self.classTokens(tokens))) }
            }
            if readout.averagePooledPatches {
                let normalized = norm(tokens.reshaped([-1, configuration.dimension])).reshaped(tokens.shape)  // (B, 1 + N, D)
                parts.append(Self.meanOfPatchTokens(normalized))
            }
            return Tensor.sideBySide(parts)
        }
    }
    // snippet.end

    /// The mean over the patch tokens (rows 1 … N) of every sequence: `(B, 1 + N, D)` → `(B, D)`.
    static func meanOfPatchTokens(_ tokens: Tensor) -> Tensor {
        let (batch, count, dimension) = (tokens.shape[0], tokens.shape[1], tokens.shape[2])
        var result = Tensor(zeros: [batch, dimension])
        for b in 0..<batch {
            for t in 1..<count {
                for j in 0..<dimension { result.scalars[b * dimension + j] += tokens.scalars[(b * count + t) * dimension + j] }
            }
        }
        return result * (1 / Float(max(count - 1, 1)))
    }
}

extension Tensor {
    /// Matrices `(B, Dᵢ)` with the same rows, joined column-wise into `(B, ΣDᵢ)`.
    static func sideBySide(_ parts: [Tensor]) -> Tensor {
        let rows = parts.first?.shape[0] ?? 0
        checkShapes(parts.allSatisfy { $0.rank == 2 && $0.shape[0] == rows }, "sideBySide: \(parts.map(\.shape)) do not share their rows")
        let width = parts.reduce(0) { $0 + $1.shape[1] }
        var scalars = [Float]()
        scalars.reserveCapacity(rows * width)
        for row in 0..<rows {
            for part in parts { scalars += part.scalars[row * part.shape[1]..<(row + 1) * part.shape[1]] }
        }
        return Tensor(shape: [rows, width], scalars: scalars)
    }

    /// The columns `range` of a matrix `(B, D)`: `(B, range.count)`.
    func columns(_ range: Range<Int>) -> Tensor {
        checkShapes(rank == 2 && range.lowerBound >= 0 && range.upperBound <= shape[1], "columns: \(range) of \(shape)")
        if range == 0..<shape[1] { return self }
        let width = shape[1]
        var scalars = [Float]()
        scalars.reserveCapacity(shape[0] * range.count)
        for row in 0..<shape[0] { scalars += self.scalars[row * width + range.lowerBound..<row * width + range.upperBound] }
        return Tensor(shape: [shape[0], range.count], scalars: scalars)
    }
}
