import DINO
import Foundation

/// Makes the `V` crops of one image. Every random choice comes from the generator passed in, which the
/// loader derives from the seed, the epoch and the image's index: a run repeats exactly, whatever the
/// threads do.
public struct MultiCropAugmentation: Sendable {
    /// The options.
    public let configuration: AugmentationConfiguration
    /// Side of the two global crops: the backbone's image size (224 in the paper; 28 for Fashion-MNIST).
    public let globalCropSize: Int
    /// Per-channel mean and standard deviation every crop is normalised with (the dataset's).
    public let mean: [Float], std: [Float]

    /// An augmentation with these options, making global crops of `globalCropSize`² normalised with
    /// `mean` and `std` (one value per channel).
    public init(_ configuration: AugmentationConfiguration, globalCropSize: Int, mean: [Float], std: [Float]) {
        (self.configuration, self.globalCropSize, self.mean, self.std) = (configuration, globalCropSize, mean, std)
    }

    /// All crops per image, `V = 2 + localCropsNumber`.
    public var cropCount: Int { 2 + configuration.localCropsNumber }

    /// The Gaussian blur's kernel: the odd size nearest a tenth of the global crop, at least 3 (3 for 28²,
    /// as the B1 reference; 23 for 224², as common DINO reimplementations).
    public var blurKernelSize: Int { max(3, Int((Double(globalCropSize) / 10).rounded()) | 1) }

    // snippet.multi-crop
    /// The crops of one `(C, H, W)` image, each `(C, size, size)` and normalised: global 1, global 2,
    /// then the local crops.
    public func crops(of image: ArraySlice<Float>, channels: Int, height: Int, width: Int,
                      using rng: inout some RandomNumberGenerator) -> [[Float]] {
        let c = configuration
        var crops = [[Float]]()
        // Global 1: blur always. Global 2: blur p 0.1, solarise p 0.2. The asymmetry matters (trap 11).
        let blurProbabilities = c.blurProbabilities.map { Float($0) }
        for (blurProbability, solarizationProbability) in [(blurProbabilities[0], 0), (blurProbabilities[1], Float(c.solarizationProbability))] {
            var crop = randomResizedCrop(image, channels, height, width, scale: c.globalCropsScale, size: globalCropSize, using: &rng)
            crop = flipAndColorJitter(crop, channels, globalCropSize, using: &rng)
            if rng.nextUniform() < blurProbability { crop = gaussianBlur(crop, channels, globalCropSize, using: &rng) }
            if rng.nextUniform() < solarizationProbability { crop = crop.map { $0 >= 128 / 255 ? 1 - $0 : $0 } }
            crops.append(normalize(crop, channels))
        }
        for _ in 0..<c.localCropsNumber {
            var crop = randomResizedCrop(image, channels, height, width, scale: c.localCropsScale, size: c.localCropSize, using: &rng)
            crop = flipAndColorJitter(crop, channels, c.localCropSize, using: &rng)
            if rng.nextUniform() < blurProbabilities[2] { crop = gaussianBlur(crop, channels, c.localCropSize, using: &rng) }
            crops.append(normalize(crop, channels))
        }
        return crops
    }
    // snippet.end

    /// torchvision's `RandomResizedCrop`: up to 10 tries at a box of the sampled area fraction and
    /// aspect ratio in (3/4, 4/3) (log-uniform), else the whole image; resized bicubically.
    func randomResizedCrop(_ image: ArraySlice<Float>, _ channels: Int, _ height: Int, _ width: Int,
                           scale: [Double], size: Int, using rng: inout some RandomNumberGenerator) -> [Float] {
        let area = Double(height * width)
        var region = (top: 0.0, left: 0.0, height: Double(height), width: Double(width))
        for _ in 0..<10 {
            let target = area * (scale[0] + (scale[1] - scale[0]) * Double(rng.nextUniform()))
            let logRatio = log(3.0 / 4) + (log(4.0 / 3) - log(3.0 / 4)) * Double(rng.nextUniform())
            let ratio = exp(logRatio)
            let w = Int((target * ratio).squareRoot().rounded()), h = Int((target / ratio).squareRoot().rounded())
            if w > 0, h > 0, w <= width, h <= height {
                let top = Int(rng.next() % UInt64(height - h + 1)), left = Int(rng.next() % UInt64(width - w + 1))
                region = (Double(top), Double(left), Double(h), Double(w))
                break
            }
        }
        return Resampling.resize(image, channels: channels, height: height, width: width, region: region, outHeight: size, outWidth: size)
    }

    /// Flip (p 0.5), colour jitter (p 0.8; brightness 0.4, contrast 0.4, and for RGB saturation 0.2 and
    /// hue 0.1, in random order, each times `colorJitterStrength`) and, for RGB, grayscale (p 0.2).
    func flipAndColorJitter(_ crop: [Float], _ channels: Int, _ size: Int, using rng: inout some RandomNumberGenerator) -> [Float] {
        var crop = crop
        let strength = Float(configuration.colorJitterStrength)
        if rng.nextUniform() < 0.5 {
            for c in 0..<channels { for y in 0..<size { crop[(c * size + y) * size..<(c * size + y + 1) * size].reverse() } }
        }
        if rng.nextUniform() < 0.8 {
            var order = channels == 3 ? [0, 1, 2, 3] : [0, 1]
            order.shuffle(using: &rng)
            for operation in order {
                switch operation {
                case 0:  // brightness: scale by b ∈ [0.6, 1.4]
                    let b = rng.nextUniform(in: 1 - 0.4 * strength..<1 + 0.4 * strength)
                    crop = crop.map { min(1, max(0, $0 * b)) }
                case 1:  // contrast: blend with the mean grey level, c ∈ [0.6, 1.4]
                    let factor = rng.nextUniform(in: 1 - 0.4 * strength..<1 + 0.4 * strength)
                    let grey = grayscale(crop, channels, size)
                    let mean = grey.reduce(0, +) / Float(grey.count)
                    crop = crop.map { min(1, max(0, factor * $0 + (1 - factor) * mean)) }
                case 2:  // saturation: blend with the grey image, s ∈ [0.8, 1.2]
                    let factor = rng.nextUniform(in: 1 - 0.2 * strength..<1 + 0.2 * strength)
                    let grey = grayscale(crop, channels, size)
                    for i in crop.indices { crop[i] = min(1, max(0, factor * crop[i] + (1 - factor) * grey[i % (size * size)])) }
                default:  // hue: rotate by h ∈ [−0.1, 0.1] of a turn
                    crop = shiftHue(crop, size, by: rng.nextUniform(in: -0.1 * strength..<0.1 * strength))
                }
            }
        }
        if channels == 3, rng.nextUniform() < 0.2 {
            let grey = grayscale(crop, channels, size)
            crop = grey + grey + grey
        }
        return crop
    }

    /// ITU-R 601 luma, `0.299 R + 0.587 G + 0.114 B`, as PIL's `convert("L")`; a grey crop as it is.
    func grayscale(_ crop: [Float], _ channels: Int, _ size: Int) -> [Float] {
        guard channels == 3 else { return crop }
        let plane = size * size
        return (0..<plane).map { 0.299 * crop[$0] + 0.587 * crop[plane + $0] + 0.114 * crop[2 * plane + $0] }
    }

    /// Rotates the hue of an RGB crop through HSV.
    func shiftHue(_ crop: [Float], _ size: Int, by shift: Float) -> [Float] {
        let plane = size * size
        var result = crop
        for i in 0..<plane {
            let (r, g, b) = (crop[i], crop[plane + i], crop[2 * plane + i])
            let high = max(r, g, b), low = min(r, g, b), delta = high - low
            var hue: Float = 0
            if delta > 0 {
                if high == r { hue = ((g - b) / delta).truncatingRemainder(dividingBy: 6) }
                else if high == g { hue = (b - r) / delta + 2 }
                else { hue = (r - g) / delta + 4 }
                hue /= 6
            }
            hue = (hue + shift + 1).truncatingRemainder(dividingBy: 1)
            let saturation = high == 0 ? 0 : delta / high
            let sector = hue * 6, f = sector - sector.rounded(.down)
            let (p, q, t) = (high * (1 - saturation), high * (1 - saturation * f), high * (1 - saturation * (1 - f)))
            let rgb: (Float, Float, Float)
            switch Int(sector.rounded(.down)) % 6 {
            case 0: rgb = (high, t, p)
            case 1: rgb = (q, high, p)
            case 2: rgb = (p, high, t)
            case 3: rgb = (p, q, high)
            case 4: rgb = (t, p, high)
            default: rgb = (high, p, q)
            }
            (result[i], result[plane + i], result[2 * plane + i]) = rgb
        }
        return result
    }

    /// A separable Gaussian blur with σ ∈ U(0.1, 2) and reflected borders, as torchvision's `GaussianBlur`.
    func gaussianBlur(_ crop: [Float], _ channels: Int, _ size: Int, using rng: inout some RandomNumberGenerator) -> [Float] {
        let sigma = rng.nextUniform(in: 0.1..<2)
        let radius = blurKernelSize / 2
        var kernel = (-radius...radius).map { exp(-Float($0 * $0) / (2 * sigma * sigma)) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        func reflect(_ i: Int) -> Int {
            var i = i
            while i < 0 || i >= size { i = i < 0 ? -i : 2 * (size - 1) - i }
            return i
        }
        var horizontal = crop, output = crop
        for c in 0..<channels {
            for y in 0..<size {
                for x in 0..<size {
                    var sum: Float = 0
                    for (k, weight) in kernel.enumerated() { sum += weight * crop[(c * size + y) * size + reflect(x + k - radius)] }
                    horizontal[(c * size + y) * size + x] = sum
                }
            }
            for y in 0..<size {
                for x in 0..<size {
                    var sum: Float = 0
                    for (k, weight) in kernel.enumerated() { sum += weight * horizontal[(c * size + reflect(y + k - radius)) * size + x] }
                    output[(c * size + y) * size + x] = sum
                }
            }
        }
        return output
    }

    /// `(x − mean) / std` per channel.
    func normalize(_ crop: [Float], _ channels: Int) -> [Float] {
        let plane = crop.count / channels
        return crop.enumerated().map { index, value in
            let c = index / plane
            return (value - mean[c]) / std[c]
        }
    }
}
