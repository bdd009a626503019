import Foundation

/// Bicubic resampling of a square grid of position embeddings, exactly as DINO's
/// `interpolate_pos_encoding` calls `torch.nn.functional.interpolate(mode="bicubic")`.
///
/// DINO passes a *scale factor* `s = (n + 0.1) / N` (target grid `n`, source grid `N`), and PyTorch then
/// maps output index `d` to the source coordinate `(d + 0.5) / s − 0.5`, not `(d + 0.5)·N/n − 0.5`.
/// The cubic-convolution kernel uses `A = −0.75`, indices are clamped at the border, and there is no
/// antialiasing. For 7 → 3 the two coordinate rules differ by up to 0.49 in the output.
public enum BicubicInterpolation {
    /// The cubic-convolution coefficient PyTorch uses.
    public static let a = -0.75

    // snippet.bicubic-weights
    /// The `(n, N)` matrix `W` with `output = W · input` along one axis, for DINO's scale factor.
    public static func weights(from source: Int, to target: Int) -> [[Double]] {
        let scale = (Double(target) + 0.1) / Double(source)
        func near(_ x: Double) -> Double { ((a + 2) * x - (a + 3)) * x * x + 1 }          // |x| ≤ 1
        func far(_ x: Double) -> Double { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }     // 1 < |x| < 2
        var matrix = [[Double]](repeating: [Double](repeating: 0, count: source), count: target)
        for d in 0..<target {
            let coordinate = (Double(d) + 0.5) / scale - 0.5
            let floorIndex = Int(coordinate.rounded(.down))
            let t = coordinate - Double(floorIndex)
            let taps = [far(t + 1), near(t), near(1 - t), far(2 - t)]
            for (offset, weight) in taps.enumerated() {
                let index = min(max(floorIndex - 1 + offset, 0), source - 1)  // clamp at the border
                matrix[d][index] += weight
            }
        }
        return matrix
    }
    // snippet.end

    /// The `(h·w, N·N)` matrix that resamples a row-major `N×N` grid to `h×w` (rows then columns):
    /// the Kronecker product of the two one-axis matrices. Resampling is linear in the embedding,
    /// so its backward pass is this matrix transposed.
    public static func matrix(sourceGrid: Int, targetHeight: Int, targetWidth: Int) -> Tensor {
        let rows = weights(from: sourceGrid, to: targetHeight)
        let columns = weights(from: sourceGrid, to: targetWidth)
        let n = sourceGrid
        var matrix = Tensor(zeros: [targetHeight * targetWidth, n * n])
        for y in 0..<targetHeight {
            for x in 0..<targetWidth {
                for i in 0..<n where rows[y][i] != 0 {
                    for j in 0..<n where columns[x][j] != 0 {
                        matrix.scalars[(y * targetWidth + x) * n * n + i * n + j] = Float(rows[y][i] * columns[x][j])
                    }
                }
            }
        }
        return matrix
    }
}
