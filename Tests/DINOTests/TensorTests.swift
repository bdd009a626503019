import DINO
import DINOTestSupport
import Foundation
import Testing

@Suite struct TensorTests {
    @Test func rowMajorLayoutAndStrides() {
        let x = Tensor(shape: [2, 3, 4], scalars: (0..<24).map(Float.init))
        #expect(x.strides == [12, 4, 1])
        #expect(x[1, 2, 3] == 23)  // 1·12 + 2·4 + 3
        #expect(x[0, 1, 0] == 4)
        let y = x.reshaped([4, -1])
        #expect(y.shape == [4, 6])
        #expect(y[3, 5] == 23)
        #expect(x.rows(1..<2).scalars == Array((12..<24).map(Float.init)))
    }

    @Test func transposeSwapsIndices() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let t = x.transposed()
        #expect(t.shape == [3, 2])
        #expect(t.scalars == [1, 4, 2, 5, 3, 6])
    }

    @Test func elementwiseArithmetic() {
        let a = Tensor([1, 2, 3]), b = Tensor([4, 5, 6])
        #expect((a + b).scalars == [5, 7, 9])
        #expect((a - b).scalars == [-3, -3, -3])
        #expect((a * b).scalars == [4, 10, 18])
        #expect((a * 2).scalars == [2, 4, 6])
        var c = a
        c.add(b, scaledBy: 0.5)
        #expect(c.scalars == [3, 4.5, 6])
        let rows = Tensor(shape: [2, 3], scalars: [0, 0, 0, 1, 1, 1]).addingRowVector(Tensor([1, 2, 3]))
        #expect(rows.scalars == [1, 2, 3, 2, 3, 4])
    }

    @Test func elementwiseAcrossManyChunksAndThreads() {
        var rng = SeededGenerator(seed: 5)
        let a = Tensor.normal([100_003], using: &rng), b = Tensor.normal([100_003], using: &rng)
        let serial = zip(a.scalars, b.scalars).map { $0 * $1 }
        #expect(ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 2)) { (a * b).scalars } == serial)
    }

    @Test func reductions() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(x.sum() == 21)
        #expect(x.mean() == 3.5)
        #expect(x.sumOverRows().scalars == [5, 7, 9])
        var rng = SeededGenerator(seed: 9)
        let big = Tensor.normal([70_001], using: &rng)
        let exact = big.scalars.reduce(0.0) { $0 + Double($1) }
        #expect(abs(Double(big.sum()) - exact) < 1e-2)
    }

    @Test func reductionsGiveTheSameBitsForAnyThreadCount() {
        var rng = SeededGenerator(seed: 11)
        let big = Tensor.normal([50_000, 3], using: &rng)
        let (sum1, columns1) = ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 1)) { (big.sum(), big.sumOverRows()) }
        let (sum2, columns2) = ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: 2)) { (big.sum(), big.sumOverRows()) }
        #expect(sum1.bitPattern == sum2.bitPattern)
        #expect(columns1 == columns2)
    }

    @Test func shapeMismatchNamesTheOperationAndBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = matmul(Tensor(zeros: [2, 3]), Tensor(zeros: [4, 5]))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("matmul"))
        #expect(message.contains("[2, 3]") && message.contains("[4, 5]"))
    }

    @Test func elementwiseShapeMismatchIsReported() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [2, 3]) + Tensor(zeros: [3, 2])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("+: shapes [2, 3] and [3, 2] differ"))
    }
}

@Suite struct MatrixProductTests {
    @Test func handComputedProduct() {
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        let b = Tensor(shape: [2, 2], scalars: [5, 6, 7, 8])
        #expect(matmul(a, b).scalars == [19, 22, 43, 50])
        #expect(referenceMatmul(a, b).scalars == [19, 22, 43, 50])
        // Negative control: the product does not commute, so a swapped operand must fail.
        #expect(matmul(b, a).scalars != [19, 22, 43, 50])
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func everyTransposeMatchesTheNaiveProduct(transposeA: Bool, transposeB: Bool) {
        var rng = SeededGenerator(seed: 21)
        let a = Tensor.normal([13, 7], using: &rng), b = Tensor.normal([7, 11], using: &rng)
        let product = matmul(transposeA ? a.transposed() : a, transposeB ? b.transposed() : b,
                             transposeA: transposeA, transposeB: transposeB)
        assertClose(product, referenceMatmul(a, b), absolute: 1e-5, relative: 1e-5)
    }

    @Test(.fastPath(threads: 2)) func splitAcrossThreadsMatchesTheReferenceProduct() {
        var rng = SeededGenerator(seed: 22)
        // Large enough to be split by rows (m·n·k ≥ 2²¹), with an odd row count.
        let a = Tensor.normal([131, 128], using: &rng), b = Tensor.normal([128, 130], using: &rng)
        assertClose(matmul(a, b), referenceMatmul(a, b), absolute: 1e-3, relative: 1e-4)
        assertClose(matmul(a.transposed(), b, transposeA: true), referenceMatmul(a, b), absolute: 1e-3, relative: 1e-4)
    }

    @Test func batchedProductIsEachProduct() {
        var rng = SeededGenerator(seed: 23)
        let a = Tensor.normal([5, 4, 3], using: &rng), b = Tensor.normal([5, 6, 3], using: &rng)
        let batched = batchedMatmul(a, b, transposeB: true)
        #expect(batched.shape == [5, 4, 6])
        for item in 0..<5 {
            let single = referenceMatmul(a.rows(item..<item + 1).reshaped([4, 3]), b.rows(item..<item + 1).reshaped([6, 3]).transposed())
            assertClose(batched.rows(item..<item + 1).reshaped([4, 6]), single, absolute: 1e-5, relative: 1e-5, "item \(item)")
        }
        let transposedLeft = batchedMatmul(a, a, transposeA: true)
        #expect(transposedLeft.shape == [5, 3, 3])
    }
}

@Suite struct SoftmaxTests {
    @Test func handComputedWithTemperature() {
        // softmax([0, ln 2, ln 4] / 1) = [1, 2, 4] / 7
        let logits = Tensor(shape: [1, 3], scalars: [0, log(2), log(4)])
        assertClose(softmax(logits), Tensor(shape: [1, 3], scalars: [1 / 7, 2 / 7, 4 / 7]), absolute: 1e-6)
        // τ = 0.5 doubles the logits: [1, 4, 16] / 21 (Eq. 1: sharpening)
        assertClose(softmax(logits, temperature: 0.5), Tensor(shape: [1, 3], scalars: [1 / 21, 4 / 21, 16 / 21]), absolute: 1e-6)
        // Negative control: the temperature must matter.
        #expect(compare(softmax(logits, temperature: 0.5), softmax(logits), absolute: 1e-3, relative: 0).failures > 0)
    }

    @Test func rowsSumToOneAndLargeLogitsStayFinite() {
        var rng = SeededGenerator(seed: 31)
        let logits = Tensor.normal([7, 100], std: 50, using: &rng)
        let p = softmax(logits, temperature: 0.04)
        for row in 0..<7 {
            let total = (0..<100).reduce(Float(0)) { $0 + p[row, $1] }
            #expect(abs(total - 1) < 1e-5)
        }
        #expect(p.scalars.allSatisfy { $0.isFinite && $0 >= 0 })
    }

    @Test func fastExpIsAccurate() {
        var worst: Float = 0
        for i in 0...20_000 {
            let x = -87 + Float(i) * (175 / 20_000)
            let exact = Foundation.exp(Double(x))
            worst = max(worst, Float(abs(Double(fastExp(x)) - exact) / exact))
        }
        #expect(worst < 1e-6)
        #expect(fastExp(0) == 1)
    }
}

@Suite struct GeneratorTests {
    @Test func sameSeedSameNumbers() {
        var a = SeededGenerator(seed: 7), b = SeededGenerator(seed: 7), c = SeededGenerator(seed: 8)
        let first = (0..<5).map { _ in a.next() }
        #expect(first == (0..<5).map { _ in b.next() })
        #expect(first != (0..<5).map { _ in c.next() })
    }

    @Test func stateRoundTripsThroughJSON() throws {
        var rng = SeededGenerator(seed: 3)
        _ = rng.next()
        let copy = try JSONDecoder().decode(SeededGenerator.self, from: JSONEncoder().encode(rng))
        var original = rng, restored = copy
        #expect(original.next() == restored.next())
    }

    @Test func uniformNormalAndTruncatedNormalStatistics() {
        var rng = SeededGenerator(seed: 4)
        let u = Tensor.uniform([20_000], in: -1..<3, using: &rng)
        #expect(u.scalars.allSatisfy { $0 >= -1 && $0 < 3 })
        #expect(abs(u.mean() - 1) < 0.05)
        let n = Tensor.normal([20_000], mean: 2, std: 0.5, using: &rng)
        let nStd = ((n - Tensor(shape: n.shape, repeating: n.mean())) * (n - Tensor(shape: n.shape, repeating: n.mean()))).mean().squareRoot()
        #expect(abs(n.mean() - 2) < 0.02)
        #expect(abs(nStd - 0.5) < 0.02)
        // PyTorch semantics: the bounds are absolute. std 1 cut at ±0.5 keeps every value inside.
        let t = Tensor.truncatedNormal([5_000], std: 1, lower: -0.5, upper: 0.5, using: &rng)
        #expect(t.scalars.allSatisfy { abs($0) <= 0.5 })
        // DINO's trunc_normal_(std=0.02) cuts at ±2: nothing near the bounds, std stays 0.02.
        let w = Tensor.truncatedNormal([20_000], std: 0.02, using: &rng)
        #expect(abs((w * w).mean().squareRoot() - 0.02) < 0.001)
    }

    @Test func substreamsAreIndependentOfOrder() {
        let parent = SeededGenerator(seed: 12)
        var a = parent.substream(3), b = parent.substream(3), c = parent.substream(4)
        #expect(a.next() == b.next())
        #expect(a.next() != c.next())
    }
}

@Suite struct LinearTests {
    @Test func handComputedForward() {
        let layer = Linear(weight: Tensor(shape: [2, 3], scalars: [1, 0, -1, 2, 1, 0]), bias: Tensor([0.5, -1]))
        let y = layer.forward(Tensor(shape: [1, 3], scalars: [1, 2, 3])).output
        let expected: [Float] = [1 - 3 + 0.5, 2 + 2 - 1]  // W·x + b by hand
        #expect(y.scalars == expected)
    }

    @Test func backwardMatchesCentralDifferences() {
        var rng = SeededGenerator(seed: 41)
        let layer = Linear(weight: .normal([4, 6], using: &rng), bias: .normal([4], using: &rng))
        let x = Tensor.normal([5, 6], using: &rng)
        let probe = ProbeLoss(shape: [5, 4])
        let (input, parameters) = layer.backward(probe.weights, input: x)
        assertClose(input, numericalGradient(of: { probe(layer.forward($0).output) }, at: x), absolute: 1e-2, relative: 1e-2, "∂L/∂x")
        assertClose(parameters.weight, numericalGradient(of: { probe(Linear(weight: $0, bias: layer.bias).forward(x).output) }, at: layer.weight),
                    absolute: 1e-2, relative: 1e-2, "∂L/∂W")
        assertClose(parameters.bias!, numericalGradient(of: { probe(Linear(weight: layer.weight, bias: $0).forward(x).output) }, at: layer.bias!),
                    absolute: 1e-2, relative: 1e-2, "∂L/∂b")
        // Negative control: a wrong formula (W instead of Gᵀx) must fail the same comparison.
        let wrong = matmul(probe.weights, x, transposeA: true) * 2
        #expect(compare(wrong, parameters.weight, absolute: 1e-2, relative: 1e-2).failures > 0)
    }

    @Test func initialisationFollowsDINO() {
        var rng = SeededGenerator(seed: 0)
        let layer = Linear(inputSize: 192, outputSize: 384, using: &rng)
        #expect(layer.bias == Tensor(zeros: [384]))
        #expect(abs((layer.weight * layer.weight).mean().squareRoot() - 0.02) < 0.001)
    }
}

@Suite struct FastErfTests {
    @Test func fastErfIsAccurate() {
        var worst = 0.0
        for i in 0...20_000 {
            let x = -6 + Float(i) * (12 / 20_000)
            worst = max(worst, abs(Double(fastErf(x)) - Foundation.erf(Double(x))))
        }
        #expect(worst < 1e-6)
        #expect(fastErf(0) == 0 && fastErf(-1) == -fastErf(1))
    }
}
