// snippet.l2-normalize
/// Scales every row to unit length, `y = x / max(‖x‖, ε)`, as `F.normalize(x, dim=-1)` (ε = 1e-12).
/// `(R, K)` → `(R, K)`; also returns each row's norm, which backward needs.
public func l2Normalize(_ input: Tensor, epsilon: Float = 1e-12) -> (output: Tensor, norms: [Float]) {
    let width = input.shape.last!
    guard input.count > 0 else { return (input, []) }
    let rowCount = input.count / width
    var norms = [Float](repeating: 0, count: rowCount)
    let output = norms.withUnsafeMutableBufferPointer { normsBuffer in
        let rowNorms = SendablePointer(normsBuffer.baseAddress!)
        return Tensor(shape: input.shape) { base in
            let output = SendablePointer(base)
            Parallel.forEachRow(rowCount, width: width) { row in  // rows are independent: spread over the cores
                let start = row * width
                var sumOfSquares: Float = 0
                for j in 0..<width { sumOfSquares += input.scalars[start + j] * input.scalars[start + j] }
                let norm = max(sumOfSquares.squareRoot(), epsilon)
                rowNorms.base[row] = norm
                for j in 0..<width { output.base[start + j] = input.scalars[start + j] / norm }
            }
        }
    }
    return (output, norms)
}

/// The backward pass of `l2Normalize`: `∂L/∂x = (g − y·(y·g)) / ‖x‖` per row, the gradient with its
/// component along the output removed (moving along `y` does not change `y`), then scaled.
public func l2NormalizeBackward(_ outputGradient: Tensor, output: Tensor, norms: [Float]) -> Tensor {
    let width = output.shape.last!
    guard output.count > 0 else { return outputGradient }
    return Tensor(shape: outputGradient.shape) { base in
        let result = SendablePointer(base)
        Parallel.forEachRow(norms.count, width: width) { row in
            let start = row * width
            var dot: Float = 0
            for j in 0..<width { dot += output.scalars[start + j] * outputGradient.scalars[start + j] }
            for j in 0..<width {
                result.base[start + j] = (outputGradient.scalars[start + j] - output.scalars[start + j] * dot) / norms[row]
            }
        }
    }
}
// snippet.end
