/// `l2Normalize` on the fast path: rows spread over the cores.
func fastL2Normalize(_ input: Tensor, epsilon: Float) -> (output: Tensor, norms: [Float]) {
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

/// `l2NormalizeBackward` on the fast path: rows spread over the cores.
func fastL2NormalizeBackward(_ outputGradient: Tensor, output: Tensor, norms: [Float]) -> Tensor {
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
