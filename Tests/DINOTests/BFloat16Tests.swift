import DINO
import DINOTraining
import DINOTestSupport
import Foundation
import Testing
import VectorKernels

/// The two ways a bf16 product runs: the AVX-512 kernel (where the CPU has AVX512_BF16 and
/// `DINO_KERNELS` is unset) and the portable path (operands rounded, float32 products) that every CPU has.
enum BFloat16Path: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case kernel, portable
    /// The paths this CPU runs: the portable one always, the kernel where present.
    static let here: [BFloat16Path] = MatrixPrecision.bf16KernelIsAvailable ? [.kernel, .portable] : [.portable]
    var testDescription: String { rawValue }

    /// `op(A)·op(B)` in bf16 on this path, on the fast path with 2 cores.
    func product(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let n = transposeB ? b.shape[0] : b.shape[1]
        return onFastPath(threads: 2) {
            ComputeSettings.$current.withValue(ComputeSettings.current.with(precision: .bf16)) {
                switch self {
                case .kernel: return matmul(a, b, transposeA: transposeA, transposeB: transposeB)
                case .portable:
                    var c = Tensor(zeros: [m, n])
                    a.scalars.withUnsafeBufferPointer { aBuffer in
                        b.scalars.withUnsafeBufferPointer { bBuffer in
                            c.scalars.withUnsafeMutableBufferPointer { cBuffer in
                                guard let aBase = aBuffer.baseAddress, let bBase = bBuffer.baseAddress, let cBase = cBuffer.baseAddress else { return }
                                BLAS.gemmOnBFloat16Operands(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
                                                            a: aBase, lda: a.shape[1], b: bBase, ldb: b.shape[1], beta: 0, c: cBase, ldc: n)
                            }
                        }
                    }
                    return c
                }
            }
        }
    }
}

/// The bf16 mixed-precision products (`--precision bf16`): rounding, and every product against float32
/// within a bound derived from bfloat16's 8-bit significand, on every path this CPU has: the portable
/// one everywhere, the AVX-512 kernel where present, and the two against each other.
@Suite struct BFloat16Tests {
    /// bfloat16 keeps 8 significant bits, so rounding to nearest moves a value by at most 2⁻⁸ of it
    /// (`u`); a product of two rounded operands by at most (1 + u)² − 1 ≈ 2u.
    static let unitRoundoff = Float(1) / 256

    @Test func roundingIsToNearestWithTiesToEven() {
        // Around 1 bfloat16's spacing is 2⁻⁷. 1 + 2⁻⁸ is halfway between 1 and 1 + 2⁻⁷: ties go to the
        // even significand, 1. 1 + 3·2⁻⁸ is halfway between 1 + 2⁻⁷ (odd) and 1 + 2⁻⁶ (even): up.
        let (one, spacing) = (Float(1), Float(1) / 128)
        #expect(dino_bf16_round(one + spacing / 2) == one, "halfway, to the even neighbour 1")
        #expect(dino_bf16_round(one + 1.5 * spacing) == one + 2 * spacing, "halfway, to the even neighbour 1 + 2⁻⁶")
        #expect(dino_bf16_round(one + spacing / 2 + spacing / 32) == one + spacing, "just above halfway rounds up")
        #expect(dino_bf16_round(-2.75) == -2.75, "exactly representable values stay")
        #expect(dino_bf16_round(.nan).isNaN && dino_bf16_round(.infinity) == .infinity)
        // The portable path rounds bit for bit as the kernel's C rounding, on edge cases and random values.
        var rng = SeededGenerator(seed: 9)
        let values: [Float] = [0, -0, .infinity, -.infinity, .nan, .greatestFiniteMagnitude, .leastNonzeroMagnitude,
                               one + spacing / 2, one + 1.5 * spacing, -3.3e38] + (0..<10_000).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())) }
        let differing = values.filter { BLAS.roundedToBFloat16($0).bitPattern != dino_bf16_round($0).bitPattern }
        #expect(differing.isEmpty, "the portable rounding differs from the C kernel's on \(differing.prefix(5))")
        // Negative control: truncating 1 + 1.5·2⁻⁷ keeps 1 + 2⁻⁷, not the nearest-even 1 + 2⁻⁶.
        #expect(Float(bitPattern: (one + 1.5 * spacing).bitPattern & 0xFFFF_0000) == one + spacing)
    }

    /// `|bf16 − fp32| ≤ (2u + 2k·2⁻²⁴)·(|A|·|B|)` elementwise: the operands' rounding, plus both sums'.
    func expectWithinBound(_ bf16: Tensor, _ fp32: Tensor, _ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool, k: Int,
                           _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let magnitudes = referenceMatmul(a.map(abs), b.map(abs), transposeA: transposeA, transposeB: transposeB)
        let factor = 2 * Self.unitRoundoff + 2 * Float(k) * Float.ulpOfOne / 2
        var worst: Float = 0, exceeded = 0
        for i in 0..<fp32.count {
            let share = abs(bf16.scalars[i] - fp32.scalars[i]) / (factor * magnitudes.scalars[i] + 1e-30)
            worst = max(worst, share)
            if share > 1 { exceeded += 1 }
        }
        #expect(exceeded == 0, "\(label): \(exceeded) elements beyond the bound; the worst is \(worst) of it", sourceLocation: sourceLocation)
    }

    @Test(arguments: [(13, 37, 45), (130, 70, 800), (1, 1, 1), (24, 33, 2)], BFloat16Path.here)
    func everyTransposeWithinTheBound(shape: (Int, Int, Int), path: BFloat16Path) {
        let (m, n, k) = shape
        var rng = SeededGenerator(seed: UInt64(m * 1000 + n))
        for (transposeA, transposeB) in [(false, false), (false, true), (true, false), (true, true)] {
            let a = Tensor.normal(transposeA ? [k, m] : [m, k], using: &rng), b = Tensor.normal(transposeB ? [n, k] : [k, n], using: &rng)
            let fp32 = referenceMatmul(a, b, transposeA: transposeA, transposeB: transposeB)
            let bf16 = path.product(a, b, transposeA: transposeA, transposeB: transposeB)
            expectWithinBound(bf16, fp32, a, b, transposeA: transposeA, transposeB: transposeB, k: k, "\(m)×\(n)×\(k) \(transposeA)/\(transposeB)")
            // Sharper: the float32 product of the rounded operands differs from it by summation order only.
            let rounded = referenceMatmul(a.map(dino_bf16_round), b.map(dino_bf16_round), transposeA: transposeA, transposeB: transposeB)
            assertClose(bf16, rounded, absolute: 1e-5 * Float(k), relative: 1e-5, "against the fp32 product of the rounded operands")
            // Negative control: the bf16 product is not the fp32 one (the operands were rounded).
            if k > 2 { #expect(compare(bf16, fp32, absolute: 1e-6, relative: 1e-6).failures > 0) }
        }
    }

    @Test(.enabled(if: MatrixPrecision.bf16KernelIsAvailable, "no AVX512_BF16 kernel here: the portable path alone runs"))
    func theKernelAndThePortablePathAgree() {
        // The same rounded operands, summed in another order: within float32's summation error.
        var rng = SeededGenerator(seed: 21)
        for (m, n, k) in [(130, 70, 800), (7, 300, 64), (2000, 80, 96)] {
            let a = Tensor.normal([m, k], using: &rng), b = Tensor.normal([n, k], using: &rng)
            let kernel = BFloat16Path.kernel.product(a, b, transposeB: true), portable = BFloat16Path.portable.product(a, b, transposeB: true)
            assertClose(kernel, portable, absolute: 1e-6 * Float(k), relative: 1e-5, "\(m)×\(n)×\(k): kernel against portable")
            // Negative control: the float32 product of the unrounded operands is farther away than that.
            let fp32 = referenceMatmul(a, b, transposeB: true)
            #expect(compare(kernel, fp32, absolute: 1e-6 * Float(k), relative: 1e-5).failures > 0)
        }
    }

    @Test func alphaBetaAndTheLargeProductsSplitAcrossCores() {
        // The products the trainer splits: by rows (10 240 tokens) and by the inner dimension (∂W).
        var rng = SeededGenerator(seed: 16)
        let x = Tensor.normal([2000, 96], using: &rng), w = Tensor.normal([80, 96], using: &rng)
        let forward = onFastPath(threads: 2) { ComputeSettings.$current.withValue(ComputeSettings.current.with(precision: .bf16)) { matmul(x, w, transposeB: true) } }
        expectWithinBound(forward, referenceMatmul(x, w, transposeB: true), x, w, transposeA: false, transposeB: true, k: 96, "x·Wᵀ")
        let g = Tensor.normal([2000, 80], using: &rng)
        let weightGradient = onFastPath(threads: 2) { ComputeSettings.$current.withValue(ComputeSettings.current.with(precision: .bf16)) { matmul(g, x, transposeA: true) } }
        expectWithinBound(weightGradient, referenceMatmul(g, x, transposeA: true), g, x, transposeA: true, transposeB: false, k: 2000, "Gᵀ·x")
        // alpha and beta: C = 0.5·A·B + 2·C, written in place by BLAS.gemm.
        let (a, b) = (Tensor.normal([20, 30], using: &rng), Tensor.normal([30, 40], using: &rng))
        var c = Tensor.normal([20, 40], using: &rng)
        let expected = referenceMatmul(a, b) * 0.5 + c * 2
        a.scalars.withUnsafeBufferPointer { aBuffer in
            b.scalars.withUnsafeBufferPointer { bBuffer in
                c.scalars.withUnsafeMutableBufferPointer { cBuffer in
                    guard let aBase = aBuffer.baseAddress, let bBase = bBuffer.baseAddress, let cBase = cBuffer.baseAddress else { return }
                    ComputeSettings.$current.withValue(ComputeSettings.current.with(precision: .bf16)) {
                        BLAS.gemm(transposeA: false, transposeB: false, m: 20, n: 40, k: 30, alpha: 0.5, a: aBase, lda: 30, b: bBase, ldb: 40,
                                  beta: 2, c: cBase, ldc: 40)
                    }
                }
            }
        }
        assertClose(c, expected, absolute: 0.2, relative: 0.02, "0.5·A·B + 2·C")
    }

    @Test func aTrainingStepInBF16StaysNearFP32() throws {
        // The same first steps in both precisions: the losses agree to bf16's resolution, the weights stay float32.
        func losses(_ precision: MatrixPrecision) throws -> [Double] {
            let trainer = try tinyTrainer { $0.compute.precision = precision }
            return try ComputeSettings.$current.withValue(trainer.configuration.compute) {
                try (0..<2).map { index in
                    try trainer.trainStep(trainer.loader.batch(epoch: 0, index: index, order: trainer.loader.order(epoch: 0)))["loss"] ?? .nan
                }
            }
        }
        let (fp32, bf16) = (try losses(.fp32), try losses(.bf16))
        for (x, y) in zip(fp32, bf16) {
            #expect(abs(x - y) < 0.02 * abs(x), "expected the bf16 loss within 2% of the fp32 loss \(x), got \(y)")
        }
    }

    @Test(.fastPath) func evaluationComputesInFP32WhateverTheRunTrainsIn() throws {
        let model = tinyViT(depth: 2)
        var rng = SeededGenerator(seed: 5)
        let images = Tensor.normal([40, 1, 6, 6], using: &rng)
        let dataset = ImageDataset(pixels: images.scalars, labels: (0..<40).map { $0 % 4 }, classNames: ["a", "b", "c", "d"], channels: 1, height: 6, width: 6)
        let evaluation = try Evaluation(bank: dataset.prefix(30), test: dataset, classCount: 4, mean: [0], std: [1], ks: [3], temperature: 0.07)
        let fp32 = evaluation.features(of: dataset, backbone: model)
        let underBF16 = ComputeSettings.$current.withValue(ComputeSettings.current.with(precision: .bf16)) { evaluation.features(of: dataset, backbone: model) }
        #expect(compare(underBF16, fp32, absolute: 0, relative: 0).failures == 0,
                "expected the fp32 features inside a bf16 run, got \(compare(underBF16, fp32, absolute: 0, relative: 0))")
        // Negative control: the backbone alone, under bf16, does round.
        let rounded = ComputeSettings.$current.withValue(ComputeSettings.current.with(precision: .bf16)) { model.features(evaluation.normalized(dataset.batch(Array(0..<40)))) }
        #expect(compare(rounded, fp32, absolute: 0, relative: 0).failures > 0)
        let scores = try evaluation.evaluate(model, linearProbe: true)
        let scoresUnderBF16 = try ComputeSettings.$current.withValue(ComputeSettings.current.with(precision: .bf16)) { try evaluation.evaluate(model, linearProbe: true) }
        #expect(scores == scoresUnderBF16, "expected the same k-NN and probe, got \(scores) and \(scoresUnderBF16)")
    }
}

/// bf16 runs on the fast path on every CPU; the reference path, which computes in fp32 only, refuses it.
@Suite struct BFloat16OptionTests {
    @Test func bf16RunsOnTheFastPathEverywhereAndNotOnTheReference() {
        var c = TrainingConfiguration()
        c.compute.precision = .bf16
        c.compute.path = .reference
        #expect(throws: ConfigurationError.self) { try c.validate() }
        c.compute.path = .fast
        #expect(throws: Never.self) { try c.validate() }
        #expect((MatrixPrecision.bf16Note == nil) == MatrixPrecision.bf16KernelIsAvailable)
    }
}
