@testable import DINO
import DINOTestSupport
import Foundation
import Synchronization
import Testing

/// The fast path's split of work across cores: every chunk runs once, on whichever thread; splits that our
/// own code fixes (inner slices, chunked sums, row-wise kernels) give the same bits on one and two threads;
/// a product cut into row blocks, whose bits OpenBLAS's kernel decides, agrees within rounding.
@Suite(.fastPath) struct ParallelTests {
    @Test func everyChunkRunsExactlyOnceOverManyRegions() {
        // Many regions in a row: helpers that stay awake between regions must join each one exactly once.
        // Chunk c only ever touches counts[c], and regions end before the next begins: no atomics needed.
        let chunks = 64
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: chunks)
        counts.initialize(repeating: 0, count: chunks)
        defer { counts.deallocate() }
        let slots = SendablePointer(counts)
        ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 2)) {
            for _ in 0..<2_000 {
                Parallel.forEachChunk(chunks) { chunk in slots.base[chunk] += 1 }
            }
        }
        #expect((0..<chunks).allSatisfy { counts[$0] == 2_000 })
        // Negative control: one region fewer would leave every count one short.
        #expect(!(0..<chunks).allSatisfy { counts[$0] == 1_999 })
    }

    @Test func nestedAndConcurrentRegionsStillCoverEveryChunk() async {
        // A region opened inside a region, and regions opened from several tasks at once, find the pool
        // busy and must still run every chunk.
        let total = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 2)) {
                        for _ in 0..<50 {
                            Parallel.forEachChunk(8) { _ in
                                ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 2)) {
                                    Parallel.forEachChunk(4) { _ in total.value.add(1, ordering: .relaxed) }
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(total.value.load(ordering: .relaxed) == 4 * 50 * 8 * 4)
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func weightGradientShapesSplitTheInnerDimension(transposeA: Bool, transposeB: Bool) {
        // k ≥ 4m and m·n·k ≥ 2²¹: the product is cut along k into slices whose partial products are added.
        // An odd k leaves a short last slice.
        var rng = SeededGenerator(seed: 31)
        let (m, n, k) = (24, 40, 2_223)
        let a = Tensor.normal([m, k], using: &rng), b = Tensor.normal([k, n], using: &rng)
        let (aStored, bStored) = (transposeA ? a.transposed() : a, transposeB ? b.transposed() : b)
        let one = ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 1)) { matmul(aStored, bStored, transposeA: transposeA, transposeB: transposeB) }
        let two = ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 2)) { matmul(aStored, bStored, transposeA: transposeA, transposeB: transposeB) }
        assertClose(one, referenceMatmul(a, b), absolute: 1e-3, relative: 1e-4)
        #expect(one == two)  // fixed slices: the same bits on any number of cores
    }

    @Test func rowBlocksAgreeWithOneProduct() {
        // At two threads this product is cut into fourteen row blocks (each ≥ n rows), the last two in
        // halves; at one thread it is one call. Which kernel OpenBLAS runs on a block's ragged end depends
        // on the CPU, so the bits may differ (they do on Cooperlake kernels): only closeness is promised.
        var rng = SeededGenerator(seed: 35)
        let a = Tensor.normal([1_000, 48], using: &rng), b = Tensor.normal([60, 48], using: &rng)
        let one = ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 1)) { matmul(a, b, transposeB: true) }
        let two = ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 2)) { matmul(a, b, transposeB: true) }
        let reference = referenceMatmul(a, b, transposeB: true)
        assertClose(one, reference, absolute: 1e-4, relative: 1e-4)
        assertClose(two, reference, absolute: 1e-4, relative: 1e-4)
        // Negative control: a block written to the wrong rows would be far off.
        var shifted = two
        shifted.scalars.replaceSubrange(0..<60, with: two.scalars[60..<120])
        #expect(compare(shifted, reference, absolute: 1e-4, relative: 1e-4).failures > 0)
    }

    @Test func rowBlocksCoverEveryRowAndEndInHalves() {
        // B1's qkv product on two cores: 6 400 / 8 = 800 rows, 816 at a multiple of 24, so seven blocks
        // of 816 and one of 688; the last two are halved at multiples of 24: 408 + 408 and 360 + 328.
        let blocks = ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 2)) { BLAS.rowBlocks(m: 6_400, n: 576) }
        #expect(blocks.map(\.rows) == [816, 816, 816, 816, 816, 816, 408, 408, 360, 328])
        for m in [48, 1_000, 3_840, 6_400, 6_401] {
            let blocks = ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 2)) { BLAS.rowBlocks(m: m, n: 60) }
            // Consecutive, covering 0..<m once, every block starting at a multiple of 24.
            #expect(zip(blocks, blocks.dropFirst()).allSatisfy { $0.first + $0.rows == $1.first })
            #expect(blocks.first?.first == 0 && blocks.last.map { $0.first + $0.rows } == m)
            #expect(blocks.allSatisfy { $0.first % BLAS.rowAlignment == 0 && $0.rows > 0 })
        }
        // One core: one block (negative control for the split above).
        #expect(ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 1)) { BLAS.rowBlocks(m: 6_400, n: 576) }.count == 1)
    }

    @Test func innerSplitKeepsBetaAndAlpha() {
        // C = 0.5·A·B + 2·C with the inner dimension split: only the first slice may apply beta.
        var rng = SeededGenerator(seed: 32)
        let (m, n, k) = (16, 64, 2_100)
        let a = Tensor.normal([k, m], using: &rng), b = Tensor.normal([k, n], using: &rng)  // A stored transposed
        let start = Tensor.normal([m, n], using: &rng)
        var c = start
        ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 2)) {
            a.withBase { aBase in
                b.withBase { bBase in
                    c.scalars.withUnsafeMutableBufferPointer { cBuffer in
                        BLAS.gemm(transposeA: true, transposeB: false, m: m, n: n, k: k, alpha: 0.5, a: aBase, lda: m,
                                  b: bBase, ldb: n, beta: 2, c: cBuffer.baseAddress!, ldc: n)
                    }
                }
            }
        }
        let expected = referenceMatmul(a.transposed(), b) * 0.5 + start * 2
        assertClose(c, expected, absolute: 1e-3, relative: 1e-4)
        // Negative control: beta applied to every slice would add 2·C three more times.
        #expect(abs(c.scalars[0] - (expected.scalars[0] + 6 * start.scalars[0])) > 1e-2)
    }

    @Test(arguments: [MatrixPrecision.fp32, .bf16], [1, 2])
    func aBiasIsAddedToEveryRowOnEverySplit(precision: MatrixPrecision, threads: Int) {
        /// `op(A)·op(B) + bias` on every row, through `BLAS.gemm`'s `bias` (a linear layer's forward pass).
        func withBias(_ a: Tensor, _ b: Tensor, _ bias: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
            let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
            let n = bias.count
            var c = Tensor(zeros: [m, n])
            ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: threads, precision: precision)) {
                a.withBase { aBase in
                    b.withBase { bBase in
                        bias.withBase { biasBase in
                            c.scalars.withUnsafeMutableBufferPointer { cBuffer in
                                BLAS.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: aBase, lda: a.shape[1],
                                          b: bBase, ldb: b.shape[1], c: cBuffer.baseAddress!, ldc: n, bias: biasBase)
                            }
                        }
                    }
                }
            }
            return c
        }
        // By hand, exact in bfloat16 too: [1 2; 3 4] · [5 6; 7 8]ᵀ + [10 20] = [27 43; 49 73].
        let handA = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), handB = Tensor(shape: [2, 2], scalars: [5, 6, 7, 8])
        #expect(withBias(handA, handB, Tensor([10, 20]), transposeA: false, transposeB: true).scalars == [27, 43, 49, 73])
        // One call; row blocks (at two threads); the inner dimension split (k ≥ 4m); more than one
        // 768-deep block of the bfloat16 kernel: the bias is added once on each.
        var rng = SeededGenerator(seed: 36)
        for (m, n, k, transposeA) in [(30, 40, 50, false), (1_000, 60, 48, false), (16, 64, 2_100, true), (30, 40, 800, false)] {
            let a = Tensor.normal(transposeA ? [k, m] : [m, k], using: &rng), b = Tensor.normal([n, k], using: &rng)
            let bias = Tensor.normal([n], using: &rng)
            let biasRows = Tensor(shape: [m, n], scalars: Array((0..<m).map { _ in bias.scalars }.joined()))
            let product = ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: threads, precision: precision)) {
                matmul(a, b, transposeA: transposeA, transposeB: true)
            }
            let result = withBias(a, b, bias, transposeA: transposeA, transposeB: true)
            let label = "\(m)×\(n)×\(k), \(precision), \(threads) threads"
            // Against the same product without the bias: the one addition's rounding apart (values up to ~200).
            assertClose(result, product + biasRows, absolute: 1e-4, relative: 1e-5, label)
            // Negative control: a bias added twice (once per slice or block) is a whole bias away.
            #expect(compare(result, product + biasRows * 2, absolute: 1e-4, relative: 1e-5).failures > 0, "\(label): bias twice")
        }
    }

    @Test(arguments: [MatrixPrecision.fp32, .bf16], [1, 2])
    func aLinearLayersGELURunsInItsProductOnEverySplit(precision: MatrixPrecision, threads: Int) {
        // `forwardWithGELU` (GELU applied to each block as the product writes it) against the two passes
        // it replaces: the product with its bias, then `geluWithSlope`. One call; row blocks (at two
        // threads); the inner dimension split (k ≥ 4m); more than one 768-deep block of the bf16 kernel.
        var rng = SeededGenerator(seed: 37)
        for (m, n, k) in [(30, 40, 50), (1_000, 60, 48), (16, 40, 3_300), (30, 40, 800)] {
            let layer = Linear(weight: Tensor.normal([n, k], std: 0.05, using: &rng), bias: Tensor.normal([n], using: &rng))
            let x = Tensor.normal([m, k], using: &rng)
            let settings = ComputeSettings.current.with(threads: threads, precision: precision)
            let (fused, fusedSlope) = ComputeSettings.$current.withValue(settings) { layer.forwardWithGELU(x, keepingSlope: true) }
            let withoutSlope = ComputeSettings.$current.withValue(settings) { layer.forwardWithGELU(x, keepingSlope: false) }
            let product: Tensor = ComputeSettings.$current.withValue(settings) { matmul(x, layer.weight, transposeB: true) }
            let (values, slope) = ComputeSettings.$current.withValue(settings) { geluWithSlope(product, addingBias: layer.bias) }
            let withoutBias = ComputeSettings.$current.withValue(settings) { geluWithSlope(product).output }
            let label = "\(m)×\(n)×\(k), \(precision), \(threads) threads"
            // The same products and the same GELU polynomial: the bias's addition order apart.
            assertClose(fused, values, absolute: 1e-6, relative: 1e-5, "\(label): GELU(x·Wᵀ + b)")
            assertClose(fusedSlope, slope, absolute: 1e-6, relative: 1e-5, "\(label): GELU′(x·Wᵀ + b)")
            #expect(withoutSlope.output == fused && withoutSlope.slope.count == 0, "\(label): the same values without the slope")
            // On the bfloat16 kernel, one 768-deep block: the same sums, then the same GELU (gelu8 on each
            // half of the register), so the same bits.
            if precision == .bf16 && MatrixPrecision.bf16KernelIsAvailable && k <= 768 {
                #expect(fused == values && fusedSlope == slope, "\(label): the bits of the two passes")
            }
            // Negative control: GELU without the bias is far off.
            #expect(compare(fused, withoutBias, absolute: 1e-3, relative: 1e-3).failures > 0, "\(label): without the bias")
        }
    }

    @Test func sumOfSquaresByHandAndOnAnyThreadCount() {
        #expect(Tensor([3, 4]).sumOfSquares() == 25)
        #expect(Tensor([3, -4]).sumOfSquares() != 7)  // negative control: squares, not the square of the sum
        #expect(Tensor(zeros: [0]).sumOfSquares() == 0)
        var rng = SeededGenerator(seed: 33)
        let big = Tensor.normal([70_001], using: &rng)
        let exact = big.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
        let (one, two) = (ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 1)) { big.sumOfSquares() },
                          ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 2)) { big.sumOfSquares() })
        #expect(abs(one - exact) < 1e-9 * exact)
        #expect(one.bitPattern == two.bitPattern)
    }

    @Test func rowParallelKernelsGiveTheSameBitsOnOneAndTwoThreads() throws {
        // Shapes large enough that each kernel is split into several chunks of rows.
        var rng = SeededGenerator(seed: 34)
        let logits = Tensor.normal([96, 1_024], using: &rng)
        let rows = Tensor.normal([600, 256], using: &rng)
        let layer = WeightNormalizedLinear(inputSize: 256, outputSize: 600, magnitudeIsTrainable: true, using: &rng)
        let layerInput = Tensor.normal([8, 256], using: &rng), layerGradient = Tensor.normal([8, 600], using: &rng)
        let embedding = TokenEmbedding(imageSize: 16, patchSize: 4, channels: 1, dimension: 96, using: &rng)
        let images = Tensor.normal([64, 1, 16, 16], using: &rng)
        let loss = try DINOLoss(LossConfiguration(outputDimension: 1_024, cropCount: 4), epochs: 1)
        let student = Tensor.normal([4 * 24, 1_024], using: &rng), teacher = Tensor.normal([2 * 24, 1_024], using: &rng)

        @Sendable func everything() -> [Tensor] {
            let (normalized, norms) = l2Normalize(rows)
            let (output, saved) = layer.forward(layerInput)
            let (inputGradient, parameters) = layer.backward(layerGradient, saved: saved)
            let (tokens, embeddingSaved) = embedding.forward(images)
            let embeddingGradient = embedding.backward(tokens, saved: embeddingSaved).parameters
            let result = loss(studentOutput: student, teacherOutput: teacher, epoch: 0)
            return [logSoftmax(logits, temperature: 0.1), normalized, Tensor(norms),
                    l2NormalizeBackward(rows, output: normalized, norms: norms), output, inputGradient,
                    parameters.direction, parameters.magnitude, tokens, embeddingGradient.positionEmbedding,
                    Tensor([result.loss]), result.studentGradient]
        }
        let one = ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 1)) { everything() }
        let two = ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 2)) { everything() }
        for (index, (a, b)) in zip(one, two).enumerated() { #expect(a == b, "output \(index)") }
    }
}

/// A count that tasks on several threads may add to.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
}
