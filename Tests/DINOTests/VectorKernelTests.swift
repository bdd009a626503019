@testable import DINO
import DINOTestSupport
import Foundation
import Testing

/// The AVX2 kernels of `Sources/VectorKernels` against the Swift code they replace on CPUs with AVX2:
/// the public functions run the kernels here (when the CPU has them), the `…Lanes`/`…Rows` functions
/// are the Swift versions. Widths 3, 8 and 37 cover a row shorter than one register, exactly one, and
/// several with a partial tail.
@Suite struct VectorKernelTests {
    static let widths = [3, 8, 37]

    /// Runs `body` on a copy of `tensor`'s storage and returns the copy.
    func writing(_ shape: [Int], _ body: (UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        var result = Tensor(zeros: shape)
        result.scalars.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        return result
    }

    @Test(arguments: widths) func geluAndItsSlopeAgreeWithTheSwiftLanes(width: Int) {
        var rng = SeededGenerator(seed: UInt64(width))
        let x = Tensor.normal([5, width], std: 3, using: &rng), bias = Tensor.normal([width], using: &rng)
        let (values, slope) = geluWithSlope(x, addingBias: bias)
        var swiftSlope = Tensor(zeros: [5, width])
        let swiftValues = writing([5, width]) { y in
            swiftSlope.scalars.withUnsafeMutableBufferPointer { s in
                var (x, bias) = (x, bias)
                x.scalars.withUnsafeMutableBufferPointer { x in
                    bias.scalars.withUnsafeMutableBufferPointer { b in
                        geluLanes(x.baseAddress!, bias: b.baseAddress!, y, slope: s.baseAddress!, rows: 5, width: width)
                    }
                }
            }
        }
        assertClose(values, swiftValues, absolute: 1e-6, relative: 1e-6, "GELU")
        assertClose(slope, swiftSlope, absolute: 1e-6, relative: 1e-6, "GELU′")
        // The bias is added to every row: the same as adding it first. Without it the values differ
        // (negative control: the comparison above would see a missing bias).
        assertClose(gelu(x, addingBias: bias), gelu(x.addingRowVector(bias)), absolute: 1e-6, relative: 1e-6)
        #expect(zip(gelu(x).scalars, values.scalars).contains { abs($0 - $1) > 1e-2 })
    }

    @Test(arguments: widths) func softmaxAgreesWithTheSwiftLanes(width: Int) {
        var rng = SeededGenerator(seed: 20 + UInt64(width))
        let logits = Tensor.normal([6, width], std: 4, using: &rng)
        let probabilities = softmax(logits, temperature: 0.1)
        var swift = logits
        swift.scalars.withUnsafeMutableBufferPointer { softmaxLanes($0.baseAddress!, rows: 6, width: width, inverseTemperature: 10) }
        assertClose(probabilities, swift, absolute: 1e-7, relative: 1e-5)
        // Every row sums to 1, and a temperature of 1 gives other values (negative control).
        for row in 0..<6 { #expect(abs(probabilities.rows(row..<row + 1).sum() - 1) < 1e-5) }
        #expect(zip(softmax(logits).scalars, probabilities.scalars).contains { abs($0 - $1) > 1e-2 })
    }

    @Test(arguments: widths) func layerNormAgreesWithTheSwiftRows(width: Int) {
        var rng = SeededGenerator(seed: 40 + UInt64(width))
        var norm = LayerNorm(dimension: width)
        norm.weight = .normal([width], using: &rng)
        norm.bias = .normal([width], using: &rng)
        // A large mean: the statistics in double keep the digits of the small deviations.
        let x = Tensor.normal([70, width], std: 2, using: &rng) + Tensor(shape: [70, width], repeating: 1000)
        let (y, saved) = norm.forward(x)
        var swiftInverse = [Float](repeating: 0, count: 70)
        var swiftNormalized = Tensor(zeros: [70, width])
        let swiftY = writing([70, width]) { y in
            swiftNormalized.scalars.withUnsafeMutableBufferPointer { xHat in
                swiftInverse.withUnsafeMutableBufferPointer { inverse in
                    x.withBase { x in
                        norm.weight.withBase { gamma in
                            norm.bias.withBase { beta in
                                LayerNorm.normalizeRows(x, gamma: gamma, beta: beta, epsilon: norm.epsilon, xHat: xHat.baseAddress!,
                                                        y: y, inverse: inverse.baseAddress!, rows: 70, width: width)
                            }
                        }
                    }
                }
            }
        }
        assertClose(y, swiftY, absolute: 1e-5, relative: 1e-5, "y")
        assertClose(saved.normalized, swiftNormalized, absolute: 1e-5, relative: 1e-5, "x̂")
        assertClose(Tensor(saved.inverseDeviation), Tensor(swiftInverse), absolute: 0, relative: 1e-6, "1/σ")
        #expect(norm(x) == y, "inference gives the forward pass's bits")

        // Backward: dx, and γ/β gradients summed over two chunks of rows (70 > 64).
        let dy = Tensor.normal([70, width], using: &rng)
        let (dx, parameters) = norm.backward(dy, saved: saved)
        var swiftGamma = Tensor(zeros: [width]), swiftBeta = Tensor(zeros: [width])
        let swiftDx = writing([70, width]) { dx in
            swiftGamma.scalars.withUnsafeMutableBufferPointer { dGamma in
                swiftBeta.scalars.withUnsafeMutableBufferPointer { dBeta in
                    dy.withBase { dy in
                        saved.normalized.withBase { xHat in
                            saved.inverseDeviation.withUnsafeBufferPointer { inverse in
                                norm.weight.withBase { gamma in
                                    LayerNorm.backwardRows(dy, xHat: xHat, inverse: inverse.baseAddress!, gamma: gamma, dx: dx,
                                                           dGamma: dGamma.baseAddress!, dBeta: dBeta.baseAddress!, rows: 70, width: width)
                                }
                            }
                        }
                    }
                }
            }
        }
        assertClose(dx, swiftDx, absolute: 1e-5, relative: 1e-4, "∂x")
        assertClose(parameters.weight, swiftGamma, absolute: 1e-4, relative: 1e-4, "∂γ")
        assertClose(parameters.bias, swiftBeta, absolute: 1e-4, relative: 1e-4, "∂β")
    }

    @Test func nonFiniteValuesStayNonFinite() {
        // The trainer stops on a NaN loss: no kernel may turn a NaN into a number on the way.
        let x = Tensor([1, .nan, -2, 0.5, 3, 1, 2, 0, .nan, 1])
        let activated = gelu(x).scalars
        #expect(activated[1].isNaN && activated[8].isNaN && activated[0].isFinite)
        let probabilities = softmax(x.reshaped([1, 10])).scalars, normalized = LayerNorm(dimension: 10)(x.reshaped([1, 10])).scalars
        #expect(probabilities.allSatisfy { $0.isNaN })
        #expect(normalized.allSatisfy { $0.isNaN })
    }

    @Test func inferenceGivesTheForwardPassBits() {
        // The teacher and `features` run the inference path; training runs `forward`: the same numbers.
        let model = tinyViT(depth: 2)
        var rng = SeededGenerator(seed: 3)
        let tokens = Tensor.normal([2, 10, 8], using: &rng)
        let blockForward = model.blocks[0].forward(tokens, training: false, using: &rng).output
        #expect(model.blocks[0](tokens) == blockForward)
        let images = Tensor.normal([3, 1, 6, 6], using: &rng)
        let forwardFeatures = VisionTransformer.classTokens(model.forward(images, training: false, using: &rng).output)
        #expect(model.features(images) == forwardFeatures)
    }
}
