import DINO

/// Exercise 02.1: the backward pass of a row softmax (book chapter 02, step 3).
///
/// Given `p = softmax(z)` and `g = ∂L/∂p`, both `(R, K)`, return `∂L/∂z` `(R, K)`.
public func exerciseSoftmaxBackward(probabilities: Tensor, outputGradient: Tensor) -> Tensor {
    let width = probabilities.shape.last!
    var result = outputGradient
    for row in 0..<probabilities.count / width {
        let range = row * width..<(row + 1) * width
        let dot = range.reduce(Float(0)) { $0 + probabilities.scalars[$1] * outputGradient.scalars[$1] }
        for i in range { result.scalars[i] = probabilities.scalars[i] * (outputGradient.scalars[i] - dot) }
    }
    return result
}
