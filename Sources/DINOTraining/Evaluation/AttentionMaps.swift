import DINO
import Foundation

// snippet.attention-maps
/// What the paper's attention figures show, as `visualize_attention.py` computes it: the last block's
/// attention from the CLS token to every patch, for each head, reshaped to the patch grid and upsampled
/// to the image. Returns `(B, H, h, w)` maps, each scaled to `[0, 1]`.
public func lastBlockCLSAttention(_ backbone: VisionTransformer, images: Tensor) -> Tensor {
    var unused = SeededGenerator(seed: 0)  // inference: no DropPath, nothing drawn
    let saved = backbone.forward(images, training: false, using: &unused).saved
    let attention = saved.blocks.last!.attentionWeights  // (B·H, T, T)
    let (batch, heads, tokens) = (images.shape[0], backbone.configuration.heads, attention.shape[1])
    let patch = backbone.configuration.patchSize
    let gridWidth = images.shape[3] / patch
    var maps = Tensor(zeros: [batch, heads, images.shape[2], images.shape[3]])
    for b in 0..<batch {
        for h in 0..<heads {
            let row = Array(attention.scalars[((b * heads + h) * tokens) * tokens + 1..<((b * heads + h) * tokens) * tokens + tokens])
            let (low, high) = (row.min()!, row.max()!)
            for y in 0..<images.shape[2] {
                for x in 0..<images.shape[3] {
                    let value = row[(y / patch) * gridWidth + x / patch]  // nearest upsampling to pixels
                    maps[b, h, y, x] = high > low ? (value - low) / (high - low) : 0
                }
            }
        }
    }
    return maps
}
// snippet.end

/// A PNG grid: one row per image, the image then one heat map per head, each cell scaled up `zoom`
/// times (nearest) so small images stay visible.
public func writeAttentionGrid(images: Tensor, maps: Tensor, zoom: Int, to url: URL) throws {
    let (batch, channels, height, width) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
    let heads = maps.shape[1]
    let (cellHeight, cellWidth, gap) = (height * zoom, width * zoom, 2)
    let (gridHeight, gridWidth) = (batch * (cellHeight + gap), (heads + 1) * (cellWidth + gap))
    var pixels = [Float](repeating: 1, count: 3 * gridHeight * gridWidth)
    func put(_ y: Int, _ x: Int, _ rgb: (Float, Float, Float)) {
        (pixels[y * gridWidth + x], pixels[(gridHeight + y) * gridWidth + x], pixels[(2 * gridHeight + y) * gridWidth + x]) = rgb
    }
    for b in 0..<batch {
        let top = b * (cellHeight + gap)
        for y in 0..<cellHeight {
            for x in 0..<cellWidth {
                let (sy, sx) = (y / zoom, x / zoom)
                let grey = images[b, 0, sy, sx]
                put(top + y, x, channels == 3 ? (images[b, 0, sy, sx], images[b, 1, sy, sx], images[b, 2, sy, sx]) : (grey, grey, grey))
                for h in 0..<heads {
                    let v = maps[b, h, sy, sx]
                    put(top + y, (h + 1) * (cellWidth + gap) + x, (min(1, 1.5 * v), v * v, max(0, 0.6 - v) * 0.8))  // dark blue → red → yellow
                }
            }
        }
    }
    try ImageCodecs.writePNG(pixels, channels: 3, height: gridHeight, width: gridWidth, to: url)
}
