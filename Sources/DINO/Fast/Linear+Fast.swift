
extension Linear {
    /// `forward` on the fast path: `gemm` writes `x·Wᵀ + b` in one pass over the output (each core puts
    /// the bias into its own rows and BLAS adds the product; the bfloat16 kernel adds the bias as it
    /// writes), instead of three (zeroing it, the product, adding the bias).
    func fastForward(_ input: Tensor) -> Tensor {
        guard let bias else { return BLAS.matmul(input, weight, transposeB: true) }
        guard input.shape[0] > 0 else { return Tensor(zeros: [0, outputSize]) }
        return input.scalars.withUnsafeBufferPointer { x in
            weight.scalars.withUnsafeBufferPointer { w in
                bias.scalars.withUnsafeBufferPointer { b in
                    Tensor(shape: [input.shape[0], outputSize]) { y in
                        BLAS.gemm(transposeA: false, transposeB: true, m: input.shape[0], n: outputSize, k: inputSize,
                                  a: x.baseAddress!, lda: inputSize, b: w.baseAddress!, ldb: inputSize, c: y, ldc: outputSize,
                                  bias: b.baseAddress!)
                    }
                }
            }
        }
    }

    /// `(N, in)` → `GELU(x·Wᵀ + b)` `(N, out)`, and its slope `GELU′(x·Wᵀ + b)` when `keepingSlope` (else
    /// the slope returned is empty): what `geluWithSlope(x·Wᵀ, addingBias: b)` computes, in the
    /// product's own pass. GELU runs on each block of rows as the product writes it (in the bfloat16
    /// kernel, on its registers), instead of a pass that reads the whole output back. An MLP's first layer.
    func forwardWithGELU(_ input: Tensor, keepingSlope: Bool) -> (output: Tensor, slope: Tensor) {
        checkShapes(input.rank == 2 && input.shape[1] == inputSize,
                    "Linear.forwardWithGELU: input \(input.shape) for a layer taking \(inputSize) features (weight \(weight.shape))")
        let rows = input.shape[0]
        var slope = Tensor(zeros: [0, outputSize])
        guard rows > 0 else { return (Tensor(zeros: [0, outputSize]), slope) }
        let output = input.withBase { x in
            weight.withBase { w in
                (bias ?? Tensor(zeros: [0])).withBase { b in
                    Tensor(shape: [rows, outputSize]) { y in  // written in full by the product
                        let product = { (s: UnsafeMutablePointer<Float>?) in
                            BLAS.gemm(transposeA: false, transposeB: true, m: rows, n: self.outputSize, k: self.inputSize,
                                      a: x, lda: self.inputSize, b: w, ldb: self.inputSize, c: y, ldc: self.outputSize,
                                      bias: self.bias == nil ? nil : b, gelu: true, geluSlope: s)
                        }
                        if keepingSlope {
                            slope = Tensor(shape: [rows, outputSize]) { s in product(s) }
                        } else {
                            product(nil)
                        }
                    }
                }
            }
        }
        return (output, slope)
    }

    /// The backward pass of the product alone: given `∂L/∂y` `(N, out)` and the input `(N, in)`, `∂L/∂x`
    /// and `∂L/∂W`, for a caller that sums the bias gradient in a pass of its own (the fast MLP and head
    /// sum it inside GELU's backward).
    func weightProductBackward(_ outputGradient: Tensor, input: Tensor) -> (input: Tensor, weight: Tensor) {
        checkShapes(outputGradient.shape == [input.shape[0], outputSize],
                    "Linear.weightProductBackward: output gradient \(outputGradient.shape), expected \([input.shape[0], outputSize])")
        return (BLAS.matmul(outputGradient, weight), BLAS.matmul(outputGradient, input, transposeA: true))
    }
}
