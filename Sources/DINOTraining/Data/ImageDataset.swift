import DINO

/// Labelled images in memory, `(N, C, H, W)` with values in `[0, 1]`: what every data source produces
/// and what the augmentation and the evaluation read.
public struct ImageDataset: Sendable {
    /// The pixels, image after image, each `C·H·W` values in `[0, 1]`, row-major.
    public var pixels: [Float]
    /// The class index of each image (used only by the evaluation, never by DINO's training).
    public var labels: [Int]
    /// The name of each class index.
    public var classNames: [String]
    /// Channels per image: 1 (grey) or 3 (RGB).
    public let channels: Int
    /// Image height.
    public let height: Int
    /// Image width.
    public let width: Int

    /// A dataset over the given pixels and labels; the sizes must agree.
    public init(pixels: [Float], labels: [Int], classNames: [String], channels: Int, height: Int, width: Int) {
        checkArgument(pixels.count == labels.count * channels * height * width, "ImageDataset: \(pixels.count) pixels for \(labels.count) images of \(channels)×\(height)×\(width)")
        (self.pixels, self.labels, self.classNames) = (pixels, labels, classNames)
        (self.channels, self.height, self.width) = (channels, height, width)
    }

    /// The number of images.
    public var count: Int { labels.count }

    /// Values per image, `C·H·W`.
    public var imageSize: Int { channels * height * width }

    /// Throws at the first NaN or infinity, naming the image and the pixel: one bad value would
    /// otherwise reach every crop through the normalisation statistics and surface only as a NaN loss.
    public func checkFinite(_ name: String) throws {
        guard let position = pixels.firstIndex(where: { !$0.isFinite }) else { return }
        let (image, offset) = position.quotientAndRemainder(dividingBy: imageSize)
        let (channel, pixel) = offset.quotientAndRemainder(dividingBy: height * width)
        throw DataError("the \(name) images contain a non-finite value (\(pixels[position])) at image \(image), channel \(channel), "
                        + "row \(pixel / width), column \(pixel % width); expected every pixel in [0, 1]")
    }

    /// Image `index` as `(C, H, W)`.
    public func image(_ index: Int) -> ArraySlice<Float> {
        pixels[index * imageSize..<(index + 1) * imageSize]
    }

    /// The images at `indices` as one batch `(B, C, H, W)`.
    public func batch(_ indices: [Int]) -> Tensor {
        Tensor(shape: [indices.count, channels, height, width], scalars: indices.flatMap { image($0) })
    }

    /// The first `count` images (all if `count` is larger).
    public func prefix(_ count: Int) -> ImageDataset {
        let n = min(count, self.count)
        return ImageDataset(pixels: Array(pixels[0..<n * imageSize]), labels: Array(labels[0..<n]), classNames: classNames,
                            channels: channels, height: height, width: width)
    }

    /// The mean and standard deviation of each channel over all images: the normalisation constants
    /// (Fashion-MNIST's training split gives 0.2860 and 0.3530, the reference's values).
    public func channelStatistics() -> (mean: [Float], std: [Float]) {
        let plane = height * width
        var sums = [Double](repeating: 0, count: channels), squares = [Double](repeating: 0, count: channels)
        for index in 0..<count {
            for c in 0..<channels {
                let start = index * imageSize + c * plane
                for value in pixels[start..<start + plane] { sums[c] += Double(value); squares[c] += Double(value) * Double(value) }
            }
        }
        let n = Double(count * plane)
        let mean = sums.map { $0 / n }
        let std = zip(squares, mean).map { max(0, $0 / n - $1 * $1).squareRoot() }
        return (mean.map(Float.init), std.map { Float(max($0, 1e-6)) })
    }
}
