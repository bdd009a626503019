import DINO
import Foundation

/// A small labelled dataset drawn in code: ten classes of shapes and textures at random positions,
/// sizes and contrasts, with noise. For the chapter, the tests, and a machine without Fashion-MNIST.
public enum SyntheticShapes {
    /// The classes, in label order.
    public static let classNames = ["disk", "square", "triangle", "cross", "ring", "horizontal stripes", "vertical stripes",
                                    "checkerboard", "diagonal", "dots"]

    /// `count` grey images of `size × size`, labels cycling through the classes, fixed by `seed`.
    public static func make(count: Int, size: Int = 28, seed: UInt64) -> ImageDataset {
        var pixels = [Float](repeating: 0, count: count * size * size)
        var labels = [Int]()
        let base = SeededGenerator(seed: seed)
        for index in 0..<count {
            var rng = base.substream(UInt64(index))
            let label = index % classNames.count
            labels.append(label)
            let s = Float(size)
            let (cx, cy) = (s * rng.nextUniform(in: 0.35..<0.65), s * rng.nextUniform(in: 0.35..<0.65))
            let radius = s * rng.nextUniform(in: 0.18..<0.32)
            let period = max(2, s * rng.nextUniform(in: 0.12..<0.22))
            let (foreground, background) = (rng.nextUniform(in: 0.6..<1), rng.nextUniform(in: 0..<0.25))
            for y in 0..<size {
                for x in 0..<size {
                    let (dx, dy) = (Float(x) + 0.5 - cx, Float(y) + 0.5 - cy)
                    let inside: Bool
                    switch label {
                    case 0: inside = dx * dx + dy * dy < radius * radius
                    case 1: inside = abs(dx) < radius * 0.85 && abs(dy) < radius * 0.85
                    case 2: inside = dy < radius * 0.7 && dy > -radius && abs(dx) < (dy + radius) * 0.6
                    case 3: inside = (abs(dx) < radius * 0.25 && abs(dy) < radius) || (abs(dy) < radius * 0.25 && abs(dx) < radius)
                    case 4: let d = (dx * dx + dy * dy).squareRoot(); inside = d < radius && d > radius * 0.6
                    case 5: inside = Int((Float(y) / period).rounded(.down)) % 2 == 0
                    case 6: inside = Int((Float(x) / period).rounded(.down)) % 2 == 0
                    case 7: inside = (Int((Float(x) / period).rounded(.down)) + Int((Float(y) / period).rounded(.down))) % 2 == 0
                    case 8: inside = abs(dx - dy) < radius * 0.3
                    default: inside = Int((Float(x) / period).rounded(.down)) % 2 == 0 && Int((Float(y) / period).rounded(.down)) % 2 == 0
                    }
                    let noise = 0.08 * rng.nextNormal()
                    pixels[(index * size + y) * size + x] = min(1, max(0, (inside ? foreground : background) + noise))
                }
            }
        }
        return ImageDataset(pixels: pixels, labels: labels, classNames: classNames, channels: 1, height: size, width: size)
    }
}
