import Foundation

/// `logSoftmax` on the fast path: rows spread over the cores, eight lanes at a time within a row.
func fastLogSoftmax(_ logits: Tensor, temperature: Float) -> Tensor {
    let width = logits.shape.last!
    let rowCount = width == 0 ? 0 : logits.count / width
    guard rowCount > 0 else { return logits }
    return logits.withBase { base in
        Tensor(shape: logits.shape) { output in
            let (x, y) = (SendablePointer(UnsafeMutablePointer(mutating: base)), SendablePointer(output))
            // Rows are independent: spread over the cores, eight lanes at a time within a row.
            Parallel.forEachRow(rowCount, width: width) { row in
                let (x, y) = (x.base + row * width, y.base + row * width)
                var maximum = -Float.infinity
                for k in 0..<width { maximum = max(maximum, x[k]) }
                maximum /= temperature  // max(x) / τ = max(x / τ): τ > 0, and rounding keeps the order
                var lanes = FloatLanes(repeating: 0)
                var k = 0
                while k + FloatLanes.scalarCount <= width {
                    lanes += fastExp(x.lanes(at: k) / temperature - maximum)
                    k += FloatLanes.scalarCount
                }
                var sum = lanes.sum()
                for k in k..<width { sum += fastExp(x[k] / temperature - maximum) }
                let logSum = Foundation.log(sum)
                for k in 0..<width { y[k] = x[k] / temperature - maximum - logSum }
            }
        }
    }
}
