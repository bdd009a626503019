/// A fully connected layer, `y = x · Wᵀ + b`, with PyTorch's layout: `weight` is `(out, in)`.
///
/// The pattern every layer in this codebase follows: `forward` returns the output and what `backward`
/// will need; `backward` takes the output's gradient and returns the input's gradient and the parameter
/// gradients, shaped like the layer itself.
public struct Linear: Equatable, Sendable {
    /// `(out, in)`: row `o` holds the weights of output `o`.
    public var weight: Tensor
    /// `(out)`, or `nil` for a layer without bias (DINO's last layer).
    public var bias: Tensor?

    /// The number of input features.
    public var inputSize: Int { weight.shape[1] }
    /// The number of output features.
    public var outputSize: Int { weight.shape[0] }

    /// A layer over explicit parameters.
    public init(weight: Tensor, bias: Tensor?) {
        checkShapes(weight.rank == 2, "Linear: weight must be (out, in), got \(weight.shape)")
        if let bias {
            checkShapes(bias.shape == [weight.shape[0]], "Linear: bias \(bias.shape) for weight \(weight.shape)")
        }
        self.weight = weight
        self.bias = bias
    }

    /// DINO's initialisation: weights from a truncated normal with std 0.02, biases zero.
    public init(inputSize: Int, outputSize: Int, hasBias: Bool = true, using rng: inout some RandomNumberGenerator) {
        self.init(
            weight: .truncatedNormal([outputSize, inputSize], std: 0.02, using: &rng),
            bias: hasBias ? Tensor(zeros: [outputSize]) : nil)
    }

    // snippet.linear-forward
    /// `(N, in)` → `(N, out)`: `y = x · Wᵀ + b`. Backward needs only the input, which is returned with it.
    public func forward(_ input: Tensor) -> (output: Tensor, input: Tensor) {
        checkShapes(input.rank == 2 && input.shape[1] == inputSize,
                    "Linear.forward: input \(input.shape) for a layer taking \(inputSize) features (weight \(weight.shape))")
        guard let bias else { return (matmul(input, weight, transposeB: true), input) }
        guard input.shape[0] > 0 else { return (Tensor(zeros: [0, outputSize]), input) }
        // Every row of y starts as b and BLAS adds x·Wᵀ to it (beta = 1): one pass over the output
        // instead of three (BLAS zeroing it, the product, adding the bias).
        let output = input.scalars.withUnsafeBufferPointer { x in
            weight.scalars.withUnsafeBufferPointer { w in
                bias.scalars.withUnsafeBufferPointer { b in
                    Tensor(shape: [input.shape[0], outputSize]) { y in
                        fillRows(y, count: input.shape[0], with: b.baseAddress!, width: outputSize)
                        BLAS.gemm(transposeA: false, transposeB: true, m: input.shape[0], n: outputSize, k: inputSize,
                                  a: x.baseAddress!, lda: inputSize, b: w.baseAddress!, ldb: inputSize, beta: 1, c: y, ldc: outputSize)
                    }
                }
            }
        }
        return (output, input)
    }
    // snippet.end

    /// `(N, in)` → `(N, out)`: `x · Wᵀ` without the bias, for a caller that adds the bias in a pass of
    /// its own (the MLP adds it inside GELU).
    public func weightProduct(_ input: Tensor) -> Tensor {
        checkShapes(input.rank == 2 && input.shape[1] == inputSize,
                    "Linear.weightProduct: input \(input.shape) for a layer taking \(inputSize) features (weight \(weight.shape))")
        return matmul(input, weight, transposeB: true)
    }

    /// The backward pass of `weightProduct`: given `∂L/∂y` `(N, out)` and the input `(N, in)`, `∂L/∂x`
    /// and `∂L/∂W`, for a caller that sums the bias gradient in a pass of its own (the MLP sums it
    /// inside GELU's backward).
    public func weightProductBackward(_ outputGradient: Tensor, input: Tensor) -> (input: Tensor, weight: Tensor) {
        checkShapes(outputGradient.shape == [input.shape[0], outputSize],
                    "Linear.weightProductBackward: output gradient \(outputGradient.shape), expected \([input.shape[0], outputSize])")
        return (matmul(outputGradient, weight), matmul(outputGradient, input, transposeA: true))
    }

    // snippet.linear-backward
    /// Given `∂L/∂y` `(N, out)` and the forward input `x` `(N, in)`:
    /// `∂L/∂x = ∂L/∂y · W` `(N, in)`, `∂L/∂W = (∂L/∂y)ᵀ · x` `(out, in)`, `∂L/∂b = Σ_rows ∂L/∂y` `(out)`.
    public func backward(_ outputGradient: Tensor, input: Tensor) -> (input: Tensor, parameters: Linear) {
        checkShapes(outputGradient.shape == [input.shape[0], outputSize],
                    "Linear.backward: output gradient \(outputGradient.shape), expected \([input.shape[0], outputSize])")
        let inputGradient = matmul(outputGradient, weight)
        let weightGradient = matmul(outputGradient, input, transposeA: true)
        let biasGradient = bias == nil ? nil : outputGradient.sumOverRows()
        return (inputGradient, Linear(weight: weightGradient, bias: biasGradient))
    }
    // snippet.end
}

/// Copies `row` (`width` floats) into each of the `count` rows of `matrix`, rows split over the cores:
/// a serial copy of a 10 240 × 576 output would leave the other core idle.
func fillRows(_ matrix: UnsafeMutablePointer<Float>, count: Int, with row: UnsafePointer<Float>, width: Int) {
    let (target, source) = (SendablePointer(matrix), SendablePointer(UnsafeMutablePointer(mutating: row)))
    Parallel.forEachRow(count, width: width) { row in (target.base + row * width).initialize(from: source.base, count: width) }
}
