import Foundation

/// Draws a grid of values in `[0, 1]` as text, two characters per pixel (terminal cells are about
/// twice as tall as wide), darkest to brightest ` .:-=+*#%@`. With `gridEvery`, lines mark the patches.
public func textPicture(_ values: [Float], width: Int, height: Int, gridEvery: Int? = nil) -> String {
    let shades = Array(" .:-=+*#%@")
    var lines = [String]()
    func separator() -> String {
        var line = ""
        for x in 0..<width {
            if let every = gridEvery, x > 0, x % every == 0 { line += "+" }
            line += "--"
        }
        return line
    }
    for y in 0..<height {
        if let every = gridEvery, y > 0, y % every == 0 { lines.append(separator()) }
        var line = ""
        for x in 0..<width {
            if let every = gridEvery, x > 0, x % every == 0 { line += "|" }
            let value = min(max(values[y * width + x], 0), 1)
            let shade = shades[min(shades.count - 1, Int(value * Float(shades.count - 1) + 0.5))]
            line += String(repeating: shade, count: 2)
        }
        lines.append(line)
    }
    return lines.joined(separator: "\n")
}

/// A Fashion-MNIST test image (an ankle boot, 28×28, grey levels scaled to `[0, 1]`), committed with
/// chapter 01 so the chapters run on a machine without the dataset.
public func sampleImage() -> [Float] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Chapters/01-PatchEmbedding/ankle-boot.pgm")
    guard let data = try? Data(contentsOf: url), data.count >= 784 else {
        fatalError("sampleImage: \(url.path) is missing or shorter than 784 bytes")
    }
    return data.suffix(784).map { Float($0) / 255 }  // binary PGM: the pixels are the last 784 bytes
}
