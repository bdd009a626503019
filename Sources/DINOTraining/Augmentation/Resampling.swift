import DINO

/// Resamples a region of an image to a new size with a bicubic filter (`A = −0.5`) that widens its
/// support when shrinking, as PIL's `resize(..., BICUBIC)` does: downscaling averages instead of
/// aliasing. torchvision's `RandomResizedCrop` on PIL images uses this filter.
public enum Resampling {
    /// The one-axis weights mapping `sourceLength` pixels of the region `[start, start + length)` to
    /// `target` pixels: for each output pixel, the first source index and its weights.
    static func weights(sourceLength: Int, start: Double, length: Double, target: Int) -> [(first: Int, weights: [Float])] {
        let scale = length / Double(target)
        let support = 2 * max(scale, 1)  // bicubic support 2, stretched when shrinking
        func cubic(_ x: Double) -> Double {
            let a = -0.5, x = abs(x)
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
            return 0
        }
        return (0..<target).map { d in
            let center = start + (Double(d) + 0.5) * scale
            let low = max(0, Int((center - support).rounded(.down)))
            let high = min(sourceLength, Int((center + support).rounded(.up)))
            var weights = (low..<max(low, high)).map { cubic((Double($0) + 0.5 - center) / max(scale, 1)) }
            let total = weights.reduce(0, +)
            if total != 0 { weights = weights.map { $0 / total } }
            return (low, weights.map(Float.init))
        }
    }

    /// The region `(top, left, height, width)` of a `(C, H, W)` image, resized to `(C, outHeight, outWidth)`.
    public static func resize(_ image: ArraySlice<Float>, channels: Int, height: Int, width: Int,
                              region: (top: Double, left: Double, height: Double, width: Double),
                              outHeight: Int, outWidth: Int) -> [Float] {
        let rows = weights(sourceLength: height, start: region.top, length: region.height, target: outHeight)
        let columns = weights(sourceLength: width, start: region.left, length: region.width, target: outWidth)
        let base = image.startIndex
        var horizontal = [Float](repeating: 0, count: channels * height * outWidth)
        for c in 0..<channels {
            for y in 0..<height {
                let source = base + (c * height + y) * width
                for (x, column) in columns.enumerated() {
                    var sum: Float = 0
                    for (offset, weight) in column.weights.enumerated() { sum += weight * image[source + column.first + offset] }
                    horizontal[(c * height + y) * outWidth + x] = sum
                }
            }
        }
        var output = [Float](repeating: 0, count: channels * outHeight * outWidth)
        for c in 0..<channels {
            for (y, row) in rows.enumerated() {
                for x in 0..<outWidth {
                    var sum: Float = 0
                    for (offset, weight) in row.weights.enumerated() { sum += weight * horizontal[(c * height + row.first + offset) * outWidth + x] }
                    output[(c * outHeight + y) * outWidth + x] = min(1, max(0, sum))  // 8-bit images clamp too
                }
            }
        }
        return output
    }
}
