extension WeightNormalizedLinear {
    /// The gradients of `g` and `v` from `G = ∂L/∂W` on the fast path: rows spread over the cores.
    func fastParameterGradients(weightGradient: Tensor, rowNorms: [Float]) -> WeightNormalizedLinear {
        let width = direction.shape[1]
        var magnitudeGradient = Tensor(zeros: magnitude.shape)
        let directionGradient = magnitudeGradient.scalars.withUnsafeMutableBufferPointer { magnitudeBuffer in
            let magnitudeRows = SendablePointer(magnitudeBuffer.baseAddress!)
            return Tensor(shape: direction.shape) { base in
                let directionRows = SendablePointer(base)
                Parallel.forEachRow(direction.shape[0], width: width) { row in  // rows are independent
                    let start = row * width, norm = rowNorms[row]
                    var alongDirection: Float = 0  // G·v̂
                    for j in 0..<width { alongDirection += weightGradient.scalars[start + j] * direction.scalars[start + j] / norm }
                    if magnitudeIsTrainable { magnitudeRows.base[row] = alongDirection }
                    let scale = magnitude.scalars[row] / norm
                    for j in 0..<width {
                        directionRows.base[start + j] =
                            scale * (weightGradient.scalars[start + j] - alongDirection * direction.scalars[start + j] / norm)
                    }
                }
            }
        }
        var parameters = self
        parameters.direction = directionGradient
        parameters.magnitude = magnitudeGradient
        return parameters
    }
}
