import DINO

/// The options of the crops DINO makes of every image (the paper's §3.1 on multi-crop, §3.2 and its appendix on augmentation,
/// the reference's `DataAugmentationDINO` and `main_dino.py`'s `--local_crops_number`,
/// `--global_crops_scale`, `--local_crops_scale`), each default the paper's and written here once. The
/// global crops' side is the backbone's image size; the images' mean and std come with the dataset.
public struct AugmentationConfiguration: Codable, Equatable, Sendable {
    /// Side of the local crops (96 in the paper; 12 for Fashion-MNIST's B1).
    public var localCropSize = 96
    /// Number of local crops (8 in the paper: the loss's ten crops less its two global ones; 6 in B1).
    public var localCropsNumber = LossConfiguration.paper.cropCount - LossConfiguration.paper.globalCropCount
    /// Area fraction of a global crop, (min, max).
    public var globalCropsScale: [Double] = [0.4, 1]
    /// Area fraction of a local crop, (min, max).
    public var localCropsScale: [Double] = [0.05, 0.4]
    /// Probability of a Gaussian blur on global crop 1, global crop 2 and each local crop. Small images
    /// may do better with less: a 3-pixel kernel blurs a 28² image heavily.
    public var blurProbabilities: [Double] = [1, 0.1, 0.5]
    /// Probability of solarising global crop 2 (never the other crops).
    public var solarizationProbability = 0.2
    /// Scales the colour jitter's ranges: 1 is the paper's (brightness and contrast 0.4, saturation 0.2,
    /// hue 0.1), 0 turns jitter off, 2.5 is the most that keeps brightness non-negative.
    public var colorJitterStrength = 1.0

    /// The paper's options.
    public init() {}

    /// The paper's options with local crops of `localCropSize`², `localCropsNumber` of them.
    public init(localCropSize: Int, localCropsNumber: Int) {
        (self.localCropSize, self.localCropsNumber) = (localCropSize, localCropsNumber)
    }

    /// Throws a message naming the first option that cannot work with global crops of `globalCropSize`²
    /// and patches of `patchSize`².
    public func validate(globalCropSize: Int, patchSize: Int) throws {
        for (name, size) in [("global crop", globalCropSize), ("local crop", localCropSize)] {
            guard size >= patchSize, size % patchSize == 0 else {
                throw ConfigurationError("\(name) size \(size) must be a positive multiple of the patch size \(patchSize)")
            }
        }
        guard globalCropSize >= localCropSize else {
            throw ConfigurationError("global crops (\(globalCropSize)) must not be smaller than local crops (\(localCropSize))")
        }
        guard (0...64).contains(localCropsNumber) else {
            throw ConfigurationError("local-crops-number must be between 0 and 64, got \(localCropsNumber)")
        }
        guard blurProbabilities.count == 3, blurProbabilities.allSatisfy({ (0...1).contains($0) }) else {
            throw ConfigurationError("gaussian-blur takes three probabilities in [0, 1] (global crop 1, global crop 2, local crops), got \(blurProbabilities)")
        }
        guard (0...1).contains(solarizationProbability) else {
            throw ConfigurationError("solarization-prob must be in [0, 1], got \(solarizationProbability)")
        }
        guard (0...2.5).contains(colorJitterStrength) else {
            throw ConfigurationError("color-jitter-strength must be in [0, 2.5] (1 is the paper's), got \(colorJitterStrength)")
        }
        for (name, scale) in [("global", globalCropsScale), ("local", localCropsScale)] {
            guard scale.count == 2, scale[0] > 0, scale[0] <= scale[1], scale[1] <= 1 else {
                throw ConfigurationError("\(name)-crops-scale \(scale) must be two numbers 0 < min ≤ max ≤ 1")
            }
        }
    }
}
