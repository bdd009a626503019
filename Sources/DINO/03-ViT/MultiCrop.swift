// snippet.multicrop
/// DINO's multi-crop wrapper: crops of the same resolution go through the backbone together, one pass
/// per resolution (two global 28² crops in one pass, six local 12² crops in another), and their CLS
/// features are concatenated in crop order. `[(B, C, Hᵥ, Wᵥ)]` → `(V·B, D)`.
public struct MultiCropPass: Sendable {
    /// The crops grouped: each group is a run of consecutive crops with the same resolution.
    public let groups: [Range<Int>]
    /// Each group's saved forward values.
    public let saved: [VisionTransformer.Saved]
    /// Each group's token count `1 + N`.
    public let tokenCounts: [Int]

    /// Runs `model` once per resolution group of `crops` and returns the CLS features `(V·B, D)`.
    public static func forward(
        _ model: VisionTransformer, crops: [Tensor], training: Bool, using rng: inout some RandomNumberGenerator
    ) -> (features: Tensor, pass: MultiCropPass) {
        var groups = [Range<Int>]()
        var start = 0
        for index in 1...crops.count where index == crops.count || crops[index].shape != crops[start].shape {
            groups.append(start..<index)
            start = index
        }
        var features = [Tensor](), saved = [VisionTransformer.Saved](), tokenCounts = [Int]()
        for group in groups {
            let batch = Tensor.concatenated(Array(crops[group]))  // (|group|·B, C, H, W)
            let (tokens, groupSaved) = model.forward(batch, training: training, using: &rng)
            features.append(VisionTransformer.classTokens(tokens))
            saved.append(groupSaved)
            tokenCounts.append(tokens.shape[1])
        }
        return (Tensor.concatenated(features), MultiCropPass(groups: groups, saved: saved, tokenCounts: tokenCounts))
    }

    /// Given `∂L/∂features` `(V·B, D)`: the parameters' gradient, summed over the resolution groups.
    public func backward(_ model: VisionTransformer, featureGradient: Tensor) -> VisionTransformer {
        var total: VisionTransformer?
        var row = 0
        for (index, saved) in self.saved.enumerated() {
            let rows = saved.tokenShape[0]
            let tokenGradient = VisionTransformer.classTokenGradient(featureGradient.rows(row..<row + rows), tokenCount: tokenCounts[index])
            let parameters = model.backward(tokenGradient, saved: saved).parameters
            if total == nil { total = parameters } else { total!.addParameters(of: parameters) }
            row += rows
        }
        return total!
    }
}
// snippet.end
