import DINO

/// Exercise 04.1: the backward pass of `y = x / ‖x‖` per row (book chapter 04, step 3).
///
/// Given `g = ∂L/∂y` `(R, K)`, the output `y` `(R, K)` and each row's `‖x‖`, return `∂L/∂x` `(R, K)`.
public func exerciseL2NormalizeBackward(outputGradient: Tensor, output: Tensor, norms: [Float]) -> Tensor {
    // TODO: remove from g its component along y, then divide by ‖x‖.
    return Tensor(zeros: outputGradient.shape)
}
