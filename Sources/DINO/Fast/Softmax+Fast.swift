import VectorKernels

/// `softmax` on the fast path: rows spread over the cores, each on the AVX2 kernel where the CPU has it.
func fastSoftmax(_ logits: Tensor, temperature: Float) -> Tensor {
    let width = logits.shape.last!
    let rowCount = width == 0 ? 0 : logits.count / width
    var result = logits
    let inverseTemperature = 1 / temperature
    result.scalars.withUnsafeMutableBufferPointer { buffer in
        let rowsBase = SendablePointer(buffer.baseAddress!)
        Parallel.forEachRange(rowCount, grain: max(1, Tensor.elementwiseGrain / max(width, 1))) { rows in
            softmaxRows(rowsBase.base + rows.lowerBound * width, rows: rows.count, width: width, inverseTemperature: inverseTemperature)
        }
    }
    return result
}

/// In place, on the calling core, each of `rows` rows of `width`: `x = softmax(x · inverseTemperature)`.
/// The AVX2 kernel of VectorKernels.c when the CPU has it: the same steps as `softmaxLanes` on wider lanes.
public func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, inverseTemperature: Float = 1) {
    if vectorKernelsAvailable {
        dino_softmax_rows(x, rows, width, inverseTemperature)
    } else {
        softmaxLanes(x, rows: rows, width: width, inverseTemperature: inverseTemperature)
    }
}

/// In place, each of `rows` rows of `width`: `x = softmax(x · inverseTemperature)`.
func softmaxLanes(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, inverseTemperature: Float) {
    for row in 0..<rows {
        let x = x + row * width
        var maximum = -Float.infinity
        for k in 0..<width { maximum = max(maximum, x[k]) }
        var k = 0
        while k + FloatLanes.scalarCount <= width {
            x.setLanes(fastExp((x.lanes(at: k) - maximum) * inverseTemperature), at: k)
            k += FloatLanes.scalarCount
        }
        for k in k..<width { x[k] = fastExp((x[k] - maximum) * inverseTemperature) }
        let normaliser = 1 / simdSum(x, width)
        for k in 0..<width { x[k] *= normaliser }
    }
}
