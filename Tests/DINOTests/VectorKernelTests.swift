@testable import DINO
import DINOTestSupport
import Foundation
import Testing
import VectorKernels

/// The AVX2 kernels of `Sources/VectorKernels` against the Swift code they replace on CPUs with AVX2:
/// the public functions run the kernels here (when the CPU has them), the `…Lanes`/`…Rows` functions
/// are the Swift versions. Widths 3, 8 and 37 cover a row shorter than one register, exactly one, and
/// several with a partial tail.
@Suite(.fastPath) struct VectorKernelTests {
    static let widths = [3, 8, 37]

    /// Runs `body` on a copy of `tensor`'s storage and returns the copy.
    func writing(_ shape: [Int], _ body: (UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        var result = Tensor(zeros: shape)
        result.scalars.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        return result
    }

    @Test(.enabled(if: dino_vector_kernels_available(), "no AVX2/FMA on this CPU: the kernel cannot run"), arguments: widths)
    func adamWAgreesWithTheSwiftLanesBitForBit(count: Int) {
        // The same operations in the same order, each rounded on its own: the same bits, with and
        // without weight decay. `count` 3, 8 and 37: no whole register, exactly one, several and a tail.
        var rng = SeededGenerator(seed: UInt64(40 + count))
        let (p, m, g) = (Tensor.normal([count], using: &rng), Tensor.normal([count], std: 0.1, using: &rng), Tensor.normal([count], using: &rng))
        let v = Tensor.normal([count], std: 0.1, using: &rng).map { $0 * $0 }
        for decays in [false, true] {
            func run(_ kernel: Bool) -> [Float] {
                var (p, m, v) = (p.scalars, m.scalars, v.scalars)
                g.withBase { g in
                    p.withUnsafeMutableBufferPointer { p in
                        m.withUnsafeMutableBufferPointer { m in
                            v.withUnsafeMutableBufferPointer { v in
                                let (pBase, mBase, vBase) = (p.baseAddress!, m.baseAddress!, v.baseAddress!)
                                if kernel {
                                    dino_adamw_update(pBase, mBase, vBase, g, count, 0.9, 0.999, 1e-3, 0.1, 1e-8, 0.9996, decays)
                                } else {
                                    AdamW.updateLanes(pBase, mBase, vBase, g, count: count, beta1: 0.9, beta2: 0.999, stepSize: 1e-3,
                                                      root: 0.1, epsilon: 1e-8, shrink: 0.9996, decays: decays)
                                }
                            }
                        }
                    }
                }
                return p + m + v
            }
            let (kernel, lanes) = (run(true), run(false))
            #expect(kernel.map(\.bitPattern) == lanes.map(\.bitPattern), "\(count) parameters, decay \(decays)")
            // Negative control: the update moved every parameter.
            #expect(zip(kernel.prefix(count), p.scalars).allSatisfy { $0 != $1 })
        }
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
        assertClose(fastGELU(x, addingBias: bias), fastGELU(x.addingRowVector(bias)), absolute: 1e-6, relative: 1e-6)
        #expect(zip(fastGELU(x).scalars, values.scalars).contains { abs($0 - $1) > 1e-2 })
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

    /// `(m, n, k)` for the small-product kernel: attention's local and global shapes, and shapes that
    /// reach every tail (odd rows, 32 columns and a ragged rest, one to four remaining registers, an
    /// inner dimension that is not a multiple of 8, and a transposed `B` too large for the stack copy).
    static let smallShapes = [(10, 10, 64), (50, 64, 50), (5, 37, 13), (7, 70, 9), (3, 20, 5), (4, 3, 17), (2, 300, 64)]

    @Test(.enabled(if: vectorKernelsAvailable, "the AVX2 kernels do not run here (no AVX2/FMA, or DINO_KERNELS=generic)"),
          arguments: [(false, false), (true, false), (false, true), (true, true)])
    func smallProductKernelAgreesWithTheNaiveProduct(transposeA: Bool, transposeB: Bool) {
        var rng = SeededGenerator(seed: 40)
        for (m, n, k) in Self.smallShapes {
            let a = Tensor.normal([m, k], using: &rng), b = Tensor.normal([k, n], using: &rng)
            // Stored with two spare columns per row, as attention's heads sit inside wider rows.
            func padded(_ t: Tensor) -> Tensor { Tensor.concatenated([t.transposed(), Tensor.normal([2, t.shape[0]], using: &rng)]).transposed() }
            let (aStored, bStored) = (padded(transposeA ? a.transposed() : a), padded(transposeB ? b.transposed() : b))
            let expected = referenceMatmul(a, b)
            let previous = Tensor.normal([m, n + 1], using: &rng)
            func product(_ left: Tensor, alpha: Float, beta: Float, into start: Tensor) -> Tensor {
                var c = start
                left.withBase { aBase in
                    bStored.withBase { bBase in
                        c.scalars.withUnsafeMutableBufferPointer { cBuffer in
                            dino_small_gemm(transposeA, transposeB, m, n, k, alpha, aBase, aStored.shape[1], bBase, bStored.shape[1],
                                            beta, cBuffer.baseAddress!, n + 1)
                        }
                    }
                }
                return c
            }
            // beta = 0 never reads C: NaN there must not reach the result.
            let overwritten = product(aStored, alpha: 0.5, beta: 0, into: Tensor(shape: [m, n + 1], repeating: .nan))
            let accumulated = product(aStored, alpha: 0.5, beta: 0.25, into: previous)
            for i in 0..<m {
                for j in 0..<n {
                    let want = 0.5 * expected[i, j]
                    #expect(abs(overwritten[i, j] - want) <= 1e-4 * (1 + abs(want)), "\((m, n, k)) (\(i), \(j))")
                    #expect(abs(accumulated[i, j] - (want + 0.25 * previous[i, j])) <= 1e-4 * (1 + abs(want)))
                }
                // The spare column of C is not C's: it keeps what was there.
                #expect(overwritten[i, n].isNaN && accumulated[i, n] == previous[i, n])
            }
            // Negative control: one term of one row changed by 1 moves that row past the tolerance.
            var changed = aStored
            changed.scalars[0] += 1
            let moved = product(changed, alpha: 0.5, beta: 0, into: Tensor(zeros: [m, n + 1]))
            #expect((0..<n).contains { abs(moved[0, $0] - overwritten[0, $0]) > 1e-4 * (1 + abs(overwritten[0, $0])) })
        }
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
