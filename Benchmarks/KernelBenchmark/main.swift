import ArgumentParser
import DINO
import Foundation
import VectorKernels

/// `swift run -c release kernel-benchmark`: what this machine can do, so later work knows its limit.
///
/// Prints sgemm GFLOPS for the products of the benchmark configuration B1 (ViT 192-d, patch 4,
/// 2 × 28² + 6 × 12² crops, batch 64: 10 240 token rows; head 2048/256/4096 on 512 crop rows), forward
/// and backward forms, and the GB/s of the elementwise kernels, each at every thread count asked for.
@main
struct KernelBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel-benchmark",
        abstract: "sgemm GFLOPS for the B1 shapes and elementwise GB/s, at 1 and 2 threads (median of several runs).")

    @Option(help: "Thread counts to measure, comma-separated.")
    var threads: String = "1,2"

    @Option(help: "Timed runs per measurement (the median is printed).")
    var repeats: Int = 7

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
        guard !threadCounts.isEmpty, threadCounts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--threads takes positive whole numbers separated by commas, got '\(threads)'")
        }
    }

    var threadCounts: [Int] { threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    /// One product `op(A)(m×k) · op(B)(k×n)` with the transpose flags a layer uses.
    struct Product {
        let name: String, m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool
    }

    static let tokens = 64 * (2 * 50 + 6 * 10)  // 10 240 token rows per B1 step
    static let products: [Product] = [
        Product(name: "qkv forward      x·Wᵀ", m: tokens, n: 576, k: 192, transposeA: false, transposeB: true),
        Product(name: "qkv ∂W           Gᵀ·x", m: 576, n: 192, k: tokens, transposeA: true, transposeB: false),
        Product(name: "qkv ∂x           G·W", m: tokens, n: 192, k: 576, transposeA: false, transposeB: false),
        Product(name: "proj forward", m: tokens, n: 192, k: 192, transposeA: false, transposeB: true),
        Product(name: "fc1 forward", m: tokens, n: 768, k: 192, transposeA: false, transposeB: true),
        Product(name: "fc2 forward", m: tokens, n: 192, k: 768, transposeA: false, transposeB: true),
        Product(name: "fc2 ∂W", m: 192, n: 768, k: tokens, transposeA: true, transposeB: false),
        Product(name: "head 192→2048", m: 512, n: 2048, k: 192, transposeA: false, transposeB: true),
        Product(name: "head 2048→2048", m: 512, n: 2048, k: 2048, transposeA: false, transposeB: true),
        Product(name: "head 256→4096", m: 512, n: 4096, k: 256, transposeA: false, transposeB: true),
    ]

    func median(_ body: () -> Void) -> Double {
        body()  // warm-up: page faults, OpenBLAS buffers
        var seconds = [Double]()
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            body()
            let elapsed = ContinuousClock.now - start
            seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        return seconds.sorted()[seconds.count / 2]
    }

    /// Everything here measures the fast path, the one the trainer runs.
    func run() throws { try ComputeSettings.$current.withValue(ComputeSettings.current.with(path: .fast)) { try measure() } }

    func measure() throws {
        var rng = SeededGenerator(seed: 0)
        let counts = threadCounts
        let precisions: [MatrixPrecision] = [.fp32, .bf16]
        for precision in precisions {
            print("\(precision == .fp32 ? "sgemm (fp32)" : "bf16 operands, fp32 sums"), GFLOPS (median of \(repeats)); threads:",
                  counts.map(String.init).joined(separator: " / "))
            for product in Self.products {
                let a = Tensor.normal(product.transposeA ? [product.k, product.m] : [product.m, product.k], using: &rng)
                let b = Tensor.normal(product.transposeB ? [product.n, product.k] : [product.k, product.n], using: &rng)
                let flops = 2.0 * Double(product.m * product.n * product.k)
                let rates = counts.map { count -> String in
                    let seconds = ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: count)) {
                        ComputeSettings.$current.withValue(ComputeSettings.current.with(precision: precision)) {
                            median { _ = matmul(a, b, transposeA: product.transposeA, transposeB: product.transposeB) }
                        }
                    }
                    return String(format: "%7.1f", flops / seconds / 1e9)
                }
                print(String(format: "  %-24@ %6d×%5d×%5d  ", product.name as NSString, product.m, product.n, product.k)
                    + rates.joined(separator: " / "))
            }
        }
        print(KernelChoice.summary)
        // Attention, one product per (crop, head) on one core, heads read in place from the qkv output
        // (B·T, 576): 128 global crops × 3 heads of 50 tokens, 384 local crops × 3 heads of 10 tokens.
        // OpenBLAS against the small-product kernel that `BLAS.smallGemm` picks where it is faster.
        print("attention per-head products on one core, GFLOPS (median of \(repeats)): cblas_sgemm / dino_small_gemm")
        for (images, tokens) in [(128, 50), (384, 10)] {
            let heads = 3, width = 64
            let qkv = Tensor.normal([images * tokens, 3 * heads * width], using: &rng)
            let weights = Tensor.normal([images * heads, tokens, tokens], using: &rng)
            var output = Tensor(zeros: [images * tokens, heads * width])
            let forms: [(name: String, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int)] = [
                ("Q·Kᵀ", false, true, tokens, tokens, width), ("A·V", false, false, tokens, width, tokens),
                ("Aᵀ·∂O", true, false, tokens, width, tokens),
            ]
            for form in forms {
                let flops = 2.0 * Double(images * heads * form.m * form.n * form.k)
                let rates = [false, true].map { small -> String in
                    let seconds = qkv.withBase { mixed in
                        weights.withBase { scores in
                            output.scalars.withUnsafeMutableBufferPointer { out in
                                median {
                                    for item in 0..<(images * heads) {
                                        let (image, head) = item.quotientAndRemainder(dividingBy: heads)
                                        // Q·Kᵀ reads Q and K (192 columns on) and writes scores; the others read scores and V.
                                        let (q, scoresOfHead) = (mixed + image * tokens * 576 + head * width, scores + item * tokens * tokens)
                                        let (a, lda, b, ldb, c, ldc) = form.transposeB
                                            ? (q, 576, q + 192, 576, UnsafeMutablePointer(mutating: scoresOfHead), tokens)
                                            : (scoresOfHead, tokens, q + 384, 576, out.baseAddress! + image * tokens * 192 + head * width, 192)
                                        if small {
                                            dino_small_gemm(form.transposeA, form.transposeB, form.m, form.n, form.k, 1, a, lda, b, ldb, 0, c, ldc)
                                        } else {
                                            SystemBLAS.sgemm(transposeA: form.transposeA, transposeB: form.transposeB, m: form.m, n: form.n, k: form.k,
                                                             alpha: 1, a: a, lda: lda, b: b, ldb: ldb, beta: 0, c: c, ldc: ldc)
                                        }
                                    }
                                }
                            }
                        }
                    }
                    return String(format: "%7.1f", flops / seconds / 1e9)
                }
                print(String(format: "  %-24@ %6@  ", "\(form.name), \(images * heads) heads" as NSString, "\(form.m)×\(form.n)×\(form.k)" as NSString)
                    + rates.joined(separator: " / "))
            }
        }

        // The whole attention layer (qkv, per-head products and softmax, proj), B1's global and local
        // crops of one step: forward, and forward with backward.
        print("attention layer, ms (median of \(repeats)); threads:", counts.map(String.init).joined(separator: " / "))
        let layer = Attention(dimension: 192, heads: 3, using: &rng)
        for (images, tokens) in [(128, 50), (384, 10)] {
            let x = Tensor.normal([images, tokens, 192], using: &rng), gradient = Tensor.normal([images, tokens, 192], using: &rng)
            let times = counts.map { count -> String in
                let forward = ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: count)) { median { _ = layer.forward(x) } }
                let both = ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: count)) { median { _ = layer.backward(gradient, saved: layer.forward(x).saved) } }
                return String(format: "%6.2f + %6.2f", 1e3 * forward, 1e3 * (both - forward))
            }
            print(String(format: "  %-24@ %6@  ", "forward + backward" as NSString, "\(images)×\(tokens)×192" as NSString)
                + times.joined(separator: " / "))
        }

        print("elementwise, GB/s moved (median of \(repeats)); threads:", counts.map(String.init).joined(separator: " / "))
        let x = Tensor.normal([Self.tokens * 768], using: &rng), y = Tensor.normal([Self.tokens * 768], using: &rng)
        let bytes = Double(x.count * 4)
        let kernels: [(String, Double, () -> Void)] = [
            ("a + b", 3 * bytes, { _ = x + y }),
            ("a · 2", 2 * bytes, { _ = x * 2 }),
            ("a += 0.5·b", 3 * bytes, { var z = x; z.add(y, scaledBy: 0.5) }),
            ("sum", bytes, { _ = x.sum() }),
            ("softmax rows of 4096", 2 * bytes, { _ = softmax(x.reshaped([-1, 4096]), temperature: 0.1) }),
            ("GELU, rows of 768", 2 * bytes, { _ = gelu(x.reshaped([-1, 768])) }),
            ("GELU with its slope", 3 * bytes, { _ = geluWithSlope(x.reshaped([-1, 768])) }),
            ("LayerNorm, rows of 192", 2 * bytes, { _ = LayerNorm(dimension: 192)(x.reshaped([-1, 192])) }),
            ("GELU backward", 3 * bytes, { _ = geluBackward(y, input: x) }),
        ]
        for (name, moved, body) in kernels {
            let rates = counts.map { count -> String in
                String(format: "%7.1f", moved / ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: count)) { median(body) } / 1e9)
            }
            print(String(format: "  %-24@ ", name as NSString) + rates.joined(separator: " / "))
        }
        print("(elementwise figures include allocating the result where the kernel returns a new tensor)")
    }
}
