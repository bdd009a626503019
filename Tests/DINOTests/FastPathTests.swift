@testable import DINO
import DINOTestSupport
import Foundation
import Testing

/// Two paths, one truth: every piece of the fast path (`Sources/DINO/Fast/`) against the reference path
/// the book quotes, forward and backward, on awkward shapes (odd sizes, one row, a long sequence), on one
/// and on two cores.
///
/// Tolerances, stated once: `product` for anything with a matrix product or a long sum (OpenBLAS adds in
/// another order and with fused multiply-adds: the error grows with the inner dimension, ~1e-6 · √k
/// relative for unit-normal data); `kernel` for elementwise and row kernels whose `exp` and `erf` are
/// polynomials (relative error 2e-7, `erf` 1.5e-7 absolute) instead of libm's.
@Suite struct FastPathTests {
    static let product = (absolute: Float(2e-4), relative: Float(1e-3))
    static let kernel = (absolute: Float(2e-6), relative: Float(1e-5))

    /// Computes `body` on the reference path and on the fast path at 1 and 2 threads, and checks that
    /// every tensor it returns agrees.
    func agree(
        _ label: String, _ tolerance: (absolute: Float, relative: Float) = product,
        sourceLocation: SourceLocation = #_sourceLocation, _ body: () -> [Tensor]
    ) {
        let reference = ComputeSettings.$current.withValue(ComputeSettings.current.with(path: .reference)) { body() }
        for threads in [1, 2] {
            let fast = onFastPath(threads: threads) { body() }
            #expect(fast.count == reference.count, sourceLocation: sourceLocation)
            // The largest difference, and the largest share of the tolerance `absolute + relative·|reference|`
            // any element used (a relative difference alone means nothing where the reference is near 0).
            var worst = (absolute: Float(0), toleranceUsed: Float(0))
            for (index, (f, r)) in zip(fast, reference).enumerated() {
                assertClose(f, r, absolute: tolerance.absolute, relative: tolerance.relative,
                            "\(label), output \(index), \(threads) thread(s)", sourceLocation: sourceLocation)
                guard f.shape == r.shape else { continue }
                for (a, e) in zip(f.scalars, r.scalars) {
                    let difference = abs(a - e)
                    worst = (max(worst.absolute, difference), max(worst.toleranceUsed, difference / (tolerance.absolute + tolerance.relative * abs(e))))
                }
            }
            // `DINO_REPORT_AGREEMENT=1 swift test --filter FastPathTests` prints what each pair measured.
            if ProcessInfo.processInfo.environment["DINO_REPORT_AGREEMENT"] != nil {
                print(String(format: "agreement: %@, %d thread(s): max |fast − reference| = %.2g, %.0f%% of the tolerance (%.0e + %.0e·|reference|)",
                             label, threads, worst.absolute, 100 * worst.toleranceUsed, tolerance.absolute, tolerance.relative))
            }
        }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matrixProducts(transposeA: Bool, transposeB: Bool) {
        var rng = SeededGenerator(seed: 101)
        // One row; odd sizes; a product large enough to be cut into row blocks; a weight gradient's
        // shape (k ≥ 4m), cut along the inner dimension.
        for (m, k, n) in [(1, 7, 5), (13, 17, 11), (131, 128, 130), (24, 2_223, 40)] {
            let a = Tensor.normal(transposeA ? [k, m] : [m, k], using: &rng)
            let b = Tensor.normal(transposeB ? [n, k] : [k, n], using: &rng)
            agree("matmul \(m)×\(k)×\(n)") { [matmul(a, b, transposeA: transposeA, transposeB: transposeB)] }
        }
        let a = Tensor.normal([3, 5, 7], using: &rng), b = Tensor.normal([3, 9, 7], using: &rng)
        agree("batchedMatmul") { [batchedMatmul(a, b, transposeB: true), batchedMatmul(a, a, transposeA: true)] }
    }

    @Test func elementwiseAndSums() {
        var rng = SeededGenerator(seed: 102)
        let (a, b) = (Tensor.normal([70_001], using: &rng), Tensor.normal([70_001], using: &rng))
        let rows = Tensor.normal([37, 129], using: &rng), vector = Tensor.normal([129], using: &rng)
        agree("elementwise", (0, 0)) {
            var accumulated = a
            accumulated.add(b, scaledBy: 0.3)
            accumulated.multiply(by: b)
            return [a + b, a - b, a * b, a * 0.7, a.map { $0 * $0 }, accumulated, rows.addingRowVector(vector)]
        }
        agree("sums", Self.product) {
            [Tensor([a.sum(), a.mean(), Float(a.sumOfSquares())]), rows.sumOverRows()]
        }
    }

    @Test func softmaxFamily() {
        var rng = SeededGenerator(seed: 103)
        for shape in [[1, 1], [3, 7], [5, 1_000], [2, 3, 17]] {
            let logits = Tensor.normal(shape, std: 3, using: &rng), gradient = Tensor.normal(shape, using: &rng)
            agree("softmax \(shape)", Self.kernel) {
                let p = softmax(logits, temperature: 0.1)
                return [p, softmax(logits), logSoftmax(logits, temperature: 0.04),
                        softmaxBackward(probabilities: p, outputGradient: gradient)]
            }
        }
    }

    @Test func linearLayerNormGELUAndMLP() {
        var rng = SeededGenerator(seed: 104)
        for rows in [1, 5, 130] {
            let x = Tensor.normal([rows, 19], std: 2, using: &rng), g = Tensor.normal([rows, 23], using: &rng)
            let linear = Linear(weight: .normal([23, 19], using: &rng), bias: .normal([23], using: &rng))
            agree("Linear, \(rows) rows") {
                let (output, saved) = linear.forward(x)
                let (input, parameters) = linear.backward(g, input: saved)
                return [output, input, parameters.weight, parameters.bias ?? Tensor(zeros: [0])]
            }
            var norm = LayerNorm(dimension: 19)
            norm.weight = .normal([19], using: &rng)
            norm.bias = .normal([19], using: &rng)
            let normGradient = Tensor.normal([rows, 19], using: &rng)
            agree("LayerNorm, \(rows) rows", Self.kernel) {
                let (output, saved) = norm.forward(x)
                let (input, parameters) = norm.backward(normGradient, saved: saved)
                return [output, norm(x), input, parameters.weight, parameters.bias]
            }
            agree("GELU, \(rows) rows", Self.kernel) { [gelu(x), geluBackward(normGradient, input: x)] }
            var mlp = MLP(dimension: 19, hidden: 37, using: &rng)
            mlp.visitParameters(prefix: "") { _, t in t = .normal(t.shape, std: 0.3, using: &rng) }
            agree("MLP, \(rows) rows") {
                let (output, saved) = mlp.forward(x)
                let (input, parameters) = mlp.backward(normGradient, saved: saved)
                return [output, mlp(x), input] + parameters.namedParameters.map(\.tensor)
            }
        }
    }

    @Test func fusedGELUOfTheFastMLP() {
        // The one-pass forms only the fast path has: GELU with its slope and a bias added first, and the
        // backward pass that sums the bias gradient on the way.
        var rng = SeededGenerator(seed: 105)
        let (rows, bias) = (Tensor.normal([5, 37], std: 2, using: &rng), Tensor.normal([37], using: &rng))
        let gradient = Tensor.normal([5, 37], using: &rng)
        let shifted = rows.addingRowVector(bias)
        let (values, slope) = onFastPath { geluWithSlope(rows, addingBias: bias) }
        assertClose(values, gelu(shifted), absolute: 2e-6, relative: 1e-5, "GELU(x + b)")
        assertClose(slope, geluDerivative(shifted), absolute: 2e-6, relative: 1e-5, "GELU′(x + b)")
        let (inputGradient, biasGradient) = onFastPath { geluBackward(gradient, slope: slope) }
        assertClose(inputGradient, geluBackward(gradient, input: shifted), absolute: 2e-6, relative: 1e-5, "∂L/∂x")
        assertClose(biasGradient, (gradient * geluDerivative(shifted)).sumOverRows(), absolute: 1e-5, relative: 1e-5, "∂L/∂b")
        // Negative control: without the bias the values are far off.
        #expect(compare(values, gelu(rows), absolute: 1e-3, relative: 1e-3).failures > 0)
    }

    @Test func attentionBlockAndViT() {
        var rng = SeededGenerator(seed: 106)
        // One token; a local crop's ten; a long sequence of 130 (beyond the small-product kernel's 64).
        for tokens in [1, 10, 130] {
            let attention = Attention(dimension: 24, heads: 3, using: &rng)
            let x = Tensor.normal([2, tokens, 24], using: &rng), g = Tensor.normal([2, tokens, 24], using: &rng)
            agree("Attention, \(tokens) tokens") {
                let (output, saved) = attention.forward(x)
                let (input, parameters) = attention.backward(g, saved: saved)
                return [output, saved.attention, input] + parameters.namedParameters.map(\.tensor)
            }
        }
        let block = Block(dimension: 24, heads: 3, mlpRatio: 4, dropPathRate: 0.5, using: &rng)
        let x = Tensor.normal([3, 5, 24], using: &rng), g = Tensor.normal([3, 5, 24], using: &rng)
        agree("Block with DropPath") {
            var drops = SeededGenerator(seed: 7)  // the same draws on both paths
            let (output, saved) = block.forward(x, training: true, using: &drops)
            let (input, parameters) = block.backward(g, saved: saved)
            return [output, block(x), input] + parameters.namedParameters.map(\.tensor)
        }
        let configuration = ViTConfiguration(imageSize: 12, patchSize: 4, channels: 1, dimension: 24, depth: 2, heads: 3,
                                             mlpRatio: 4, dropPathRate: 0.1)
        let vit = VisionTransformer(configuration, using: &rng)
        let images = Tensor.normal([2, 1, 12, 12], using: &rng), local = Tensor.normal([3, 1, 8, 8], using: &rng)
        agree("ViT, global and local crops") {
            var drops = SeededGenerator(seed: 8)
            let (tokens, saved) = vit.forward(images, training: true, using: &drops)
            let (imageGradient, parameters) = vit.backward(tokens, saved: saved)
            return [tokens, vit.features(images), vit.features(local), imageGradient] + parameters.namedParameters.map(\.tensor)
        }
    }

    @Test func headLossTeacherAndOptimiser() throws {
        var rng = SeededGenerator(seed: 107)
        let head = DINOHead(HeadConfiguration(inputDimension: 24, outputDimension: 97, hiddenDimension: 40,
                                              bottleneckDimension: 16, normLastLayer: false), using: &rng)
        let x = Tensor.normal([6, 24], using: &rng), g = Tensor.normal([6, 97], using: &rng)
        agree("DINOHead") {
            let (output, saved) = head.forward(x)
            let (input, parameters) = head.backward(g, saved: saved)
            let (unit, norms) = l2Normalize(x)
            return [output, input, unit, Tensor(norms), l2NormalizeBackward(x, output: unit, norms: norms)]
                + parameters.namedParameters.map(\.tensor)
        }
        var loss = try DINOLoss(LossConfiguration(outputDimension: 97, cropCount: 5), epochs: 1)
        loss.center.value = .normal([1, 97], std: 0.1, using: &rng)
        let student = Tensor.normal([5 * 3, 97], using: &rng), teacher = Tensor.normal([2 * 3, 97], using: &rng)
        agree("DINOLoss") {
            let result = loss(studentOutput: student, teacherOutput: teacher, epoch: 0)
            let s = result.statistics
            return [Tensor([result.loss, s.teacherEntropy, s.klDivergence, s.meanDistributionEntropy]), result.studentGradient]
        }
        let studentModel = head, gradients = head.backward(g, saved: head.forward(x).saved).parameters
        let teacherStart = DINOHead(head.configuration, using: &rng)
        agree("EMA, clipping and two AdamW steps") {
            var teacherModel = teacherStart
            updateTeacher(&teacherModel, towards: studentModel, teacherMomentum: 0.996)
            var clipped = gradients
            clipGradientsPerParameter(&clipped, maximum: 0.5)
            var model = studentModel, optimizer = AdamW()
            for _ in 0..<2 { optimizer.step(&model, gradients: clipped, learningRate: 0.01, weightDecay: 0.04) }
            return teacherModel.namedParameters.map(\.tensor) + clipped.namedParameters.map(\.tensor)
                + model.namedParameters.map(\.tensor) + optimizer.secondMoments.keys.sorted().compactMap { optimizer.secondMoments[$0] }
        }
    }
}
