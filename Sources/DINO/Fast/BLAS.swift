import VectorKernels

/// Matrix products on the system BLAS's `cblas_sgemm` (`SystemBLAS`: OpenBLAS, or Accelerate on a Mac):
/// where nearly all of a ViT's time goes.
public enum BLAS {
    /// Products smaller than this many multiply-adds run on one core: splitting costs more than it saves.
    static let splitThreshold = 1 << 21

    // snippet.gemm
    /// `C = alpha · op(A) · op(B) + beta · C` with `op(A)` of shape `(m, k)` and `op(B)` of `(k, n)`,
    /// all row-major; `op` transposes when its flag is set (the matrix is then stored `(k, m)` or `(n, k)`).
    /// With `bias` (`n` floats, and `beta` 0), `C = alpha · op(A) · op(B) + bias` on every row: a linear
    /// layer's output, the bias written by each core into its own rows just before their product. With
    /// `gelu`, C then becomes GELU of itself, and `geluSlope` (`(m, n)`, when given; `ldc == n`) its slope
    /// (`geluWithSlope`), each block's rows while they are still in the core's cache: an MLP's first layer.
    ///
    /// Large products are split across `Parallel.threadCount` cores, each part a single-threaded
    /// `cblas_sgemm`. Most are split by rows of `C`, into more blocks than cores (`rowBlocks`). A weight
    /// gradient `(∂L/∂y)ᵀ · x` is short and wide (`m` = 576 outputs, `k` = 6 400 tokens): there, every
    /// core would repack all of `op(B)`, so the tokens are split instead (`gemmSplittingInner`). Neither
    /// split depends on the timing, and neither changes a bit of the result. Under
    /// `MatrixPrecision.bf16` the same splits run on the bfloat16 kernel (`gemmBF16`, `oneCoreGemm`).
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil,
        gelu: Bool = false, geluSlope: UnsafeMutablePointer<Float>? = nil
    ) {
        precondition(bias == nil || beta == 0, "BLAS.gemm: a bias replaces beta · C")
        precondition(geluSlope == nil || (gelu && ldc == n), "BLAS.gemm: GELU's slope comes with GELU, laid out as a dense C")
        _ = Parallel.configureBLASOnce
        let precision = MatrixPrecision.current
        if precision == .bf16 && !MatrixPrecision.bf16KernelIsAvailable {
            gemmOnBFloat16Operands(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                                   a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, bias: bias, gelu: gelu, geluSlope: geluSlope)
            return
        }
        gemm(precision: precision, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
             a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, bias: bias, gelu: gelu, geluSlope: geluSlope)
    }
    // snippet.end

    /// `gemm` in `precision`, on the AVX-512 kernel for `bf16`.
    static func gemm(
        precision: MatrixPrecision, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
        bias: UnsafePointer<Float>? = nil, gelu: Bool = false, geluSlope: UnsafeMutablePointer<Float>? = nil
    ) {
        let large = m * n * k >= splitThreshold
        if large && k >= 4 * m {
            gemmSplittingInner(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                               a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, bias: bias, gelu: gelu, geluSlope: geluSlope,
                               precision: precision)
            return
        }
        let blocks = large ? rowBlocks(m: m, n: n) : [(first: 0, rows: m)]
        if precision == .bf16 {
            gemmBF16(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                     a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, bias: bias, gelu: gelu, geluSlope: geluSlope, blocks: blocks)
            return
        }
        let slopePointer = geluSlope.map { SendablePointer($0) }
        let (aPointer, bPointer, cPointer) = (
            SendablePointer(UnsafeMutablePointer(mutating: a)), SendablePointer(UnsafeMutablePointer(mutating: b)),
            SendablePointer(c))
        let biasPointer = bias.map { SendablePointer(UnsafeMutablePointer(mutating: $0)) }
        Parallel.forEachChunk(blocks.count) { part in
            let (firstRow, rows) = blocks[part]
            guard rows > 0 else { return }
            // Row i of op(A) starts at column i of A when A is stored transposed.
            let aSlice = aPointer.base + (transposeA ? firstRow : firstRow * lda)
            let cSlice = cPointer.base + firstRow * ldc
            // The bias goes into this block's rows while they are in this core's cache; BLAS adds to it.
            if let biasPointer { fillRows(cSlice, count: rows, stride: ldc, with: biasPointer.base, width: n) }
            oneCoreGemm(precision, transposeA: transposeA, transposeB: transposeB, m: rows, n: n, k: k, alpha: alpha,
                        a: aSlice, lda: lda, b: bPointer.base, ldb: ldb, beta: biasPointer == nil ? beta : 1, c: cSlice, ldc: ldc)
            if gelu { geluInPlace(cSlice, slope: slopePointer.map { $0.base + firstRow * n }, rows: rows, width: n) }
        }
    }

    /// Copies `row` (`width` floats) into each of the `count` rows of `matrix`, `stride` apart.
    static func fillRows(_ matrix: UnsafeMutablePointer<Float>, count: Int, stride: Int, with row: UnsafePointer<Float>, width: Int) {
        for index in 0..<count { (matrix + index * stride).update(from: row, count: width) }
    }

    /// The portable bfloat16 path, for CPUs without the AVX-512 kernel: both operands rounded to bfloat16
    /// as the kernel rounds them (`roundedToBFloat16`), then the float32 product on the same splits. A
    /// product of two bfloat16 numbers is exact in float32, so this computes the kernel's numbers up to
    /// the order of the sums. Arguments as in `gemm`.
    package static func gemmOnBFloat16Operands(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
        bias: UnsafePointer<Float>? = nil, gelu: Bool = false, geluSlope: UnsafeMutablePointer<Float>? = nil
    ) {
        let roundedA = roundedToBFloat16(a, rows: transposeA ? k : m, columns: transposeA ? m : k, rowStride: lda)
        let roundedB = roundedToBFloat16(b, rows: transposeB ? n : k, columns: transposeB ? k : n, rowStride: ldb)
        roundedA.withUnsafeBufferPointer { aBuffer in
            roundedB.withUnsafeBufferPointer { bBuffer in
                guard let aBase = aBuffer.baseAddress, let bBase = bBuffer.baseAddress else { return }  // an empty product
                gemm(precision: .fp32, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                     a: aBase, lda: lda, b: bBase, ldb: ldb, beta: beta, c: c, ldc: ldc, bias: bias, gelu: gelu, geluSlope: geluSlope)
            }
        }
    }

    /// A copy of the `rows × columns` matrix at `values` (rows `rowStride` apart, the same layout in the
    /// copy) with every element rounded to bfloat16.
    static func roundedToBFloat16(_ values: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int) -> [Float] {
        guard rows > 0, columns > 0 else { return [] }
        let count = (rows - 1) * rowStride + columns
        return [Float](unsafeUninitializedCapacity: count) { copy, initialized in
            for index in 0..<count { copy[index] = roundedToBFloat16(values[index]) }
            initialized = count
        }
    }

    /// `value` rounded to bfloat16 (to nearest, ties to even; a NaN stays a quiet NaN) and back to float32,
    /// bit for bit as the C kernel's `dino_bf16_round`.
    @inline(__always)
    package static func roundedToBFloat16(_ value: Float) -> Float {
        let bits = value.bitPattern
        if bits & 0x7FFF_FFFF > 0x7F80_0000 { return Float(bitPattern: (bits | 0x0040_0000) & 0xFFFF_0000) }
        return Float(bitPattern: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000)
    }

    /// `gemm` in bfloat16 over the same row blocks: op(B) is rounded and packed once, its panels split
    /// across the cores, and shared by every block (each block would otherwise repack all of it). A
    /// `bias` is added, and GELU applied, as the kernel writes `C`, which is then never read.
    static func gemmBF16(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
        bias: UnsafePointer<Float>?, gelu: Bool, geluSlope: UnsafeMutablePointer<Float>?, blocks: [(first: Int, rows: Int)]
    ) {
        let packed = UnsafeMutablePointer<UInt32>.allocate(capacity: max(1, dino_bf16_packed_b_count(n, k)))
        defer { packed.deallocate() }
        let (aPointer, bPointer, cPointer, packedPointer) = (
            SendablePointer(UnsafeMutablePointer(mutating: a)), SendablePointer(UnsafeMutablePointer(mutating: b)),
            SendablePointer(c), SendablePointer(packed))
        let biasPointer = bias.map { SendablePointer(UnsafeMutablePointer(mutating: $0)) }
        let slopePointer = geluSlope.map { SendablePointer($0) }
        let panels = (n + 31) / 32
        let panelsPerPart = (panels + Parallel.threadCount - 1) / Parallel.threadCount
        Parallel.forEachChunk(blocks.count > 1 ? Parallel.threadCount : 1) { part in
            dino_bf16_pack_b(transposeB, n, k, bPointer.base, ldb, packedPointer.base,
                             part * panelsPerPart, blocks.count > 1 ? panelsPerPart : panels)
        }
        Parallel.forEachChunk(blocks.count) { part in
            let (firstRow, rows) = blocks[part]
            guard rows > 0 else { return }
            let aSlice = aPointer.base + (transposeA ? firstRow : firstRow * lda)
            dino_bf16_gemm_packed_b(transposeA, rows, n, k, alpha, aSlice, lda, packedPointer.base, beta, cPointer.base + firstRow * ldc, ldc,
                                    biasPointer?.base, gelu, slopePointer.map { $0.base + firstRow * n })
        }
    }

    /// One core's product, in `precision`: OpenBLAS's `cblas_sgemm` (single-threaded, as `gemm` calls
    /// it) or the bfloat16 kernel `dino_bf16_gemm`. Arguments as in `gemm`.
    static func oneCoreGemm(
        _ precision: MatrixPrecision, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        switch precision {
        case .fp32:
            SystemBLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                             beta: beta, c: c, ldc: ldc)
        case .bf16:
            dino_bf16_gemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        }
    }

    /// The row blocks `gemm` cuts `C` into, each `(first row, rows)`: one per core at least, and up to
    /// eight per core while each block keeps at least `n` rows. Every block repacks all of `op(B)`
    /// (`k × n`), which costs little beside its own `rows × k` of `op(A)` only while `rows ≥ n`. More
    /// blocks than cores let a core that runs slower, or starts late, take fewer of them; and the last
    /// block of each core's share is cut in two, so that the cores finish closer together. On B1's
    /// largest products the halves cut the time one core waited for the other from 3% of the product to 1%.
    static func rowBlocks(m: Int, n: Int) -> [(first: Int, rows: Int)] {
        let threads = Parallel.threadCount
        guard threads > 1, m >= 2 * threads else { return [(0, m)] }
        let parts = [8, 4, 2].first { m / ($0 * threads) >= n }.map { $0 * threads } ?? threads
        let size = aligned((m + parts - 1) / parts)
        let count = (m + size - 1) / size
        var blocks = [(first: Int, rows: Int)]()
        for index in 0..<count {
            let (first, rows) = (index * size, min(size, m - index * size))
            let half = aligned((rows + 1) / 2)
            if count > threads && index >= count - threads && half < rows {
                blocks += [(first, half), (first + half, rows - half)]
            } else {
                blocks.append((first, rows))
            }
        }
        return blocks
    }

    /// `rows` rounded up to a multiple of `rowAlignment`.
    static func aligned(_ rows: Int) -> Int { (rows + rowAlignment - 1) / rowAlignment * rowAlignment }

    /// Row blocks start at multiples of 24 rows. OpenBLAS walks the rows of `C` in steps of a few
    /// kernel widths (12 for these AVX2 kernels) and finishes a ragged end with narrower kernels that add
    /// in another order; blocks aligned to 24 end where the unsplit product's steps end, so every element
    /// is the same sum in the same order on one core or many (`rowBlocksGiveTheSameBitsAsOneProduct`).
    static let rowAlignment = 24

    /// How many small products (one attention head of one image) make one chunk: about eight chunks per
    /// core, so that a core that falls behind takes fewer.
    static func smallProductGrain(_ products: Int) -> Int { max(1, products / (8 * Parallel.threadCount)) }

    /// How many slices of the inner dimension `gemmSplittingInner` cuts: a constant, not the thread count,
    /// so that a product has the same bits on any number of cores.
    static let innerParts = 4

    /// `gemm` with the inner dimension cut into `innerParts` equal slices, `op(A)·op(B) = Σ_s op(A)_s·op(B)_s`:
    /// each slice is a single-threaded product of its own columns of `op(A)` and rows of `op(B)`, so no
    /// operand is packed twice. Slice 0 goes into `C` (with `beta`, or onto the `bias` rows), the others
    /// into `(m, n)` partial products that are then added to `C` in slice order, and GELU applied after.
    static func gemmSplittingInner(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?, gelu: Bool, geluSlope: UnsafeMutablePointer<Float>?,
        precision: MatrixPrecision
    ) {
        let parts = innerParts, slice = (k + innerParts - 1) / innerParts
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: (parts - 1) * m * n)
        defer { partials.deallocate() }
        let (aPointer, bPointer, cPointer, partialPointer) = (
            SendablePointer(UnsafeMutablePointer(mutating: a)), SendablePointer(UnsafeMutablePointer(mutating: b)),
            SendablePointer(c), SendablePointer(partials))
        let biasPointer = bias.map { SendablePointer(UnsafeMutablePointer(mutating: $0)) }
        let slopePointer = geluSlope.map { SendablePointer($0) }
        Parallel.forEachChunk(parts) { part in
            let first = part * slice, depth = max(0, min(slice, k - first))
            // Slice part of the inner dimension: columns of op(A), rows of op(B), wherever the storage puts them.
            let aSlice = aPointer.base + (transposeA ? first * lda : first)
            let bSlice = bPointer.base + (transposeB ? first : first * ldb)
            var (target, targetBeta, targetStride) = part == 0
                ? (cPointer.base, beta, ldc) : (partialPointer.base + (part - 1) * m * n, Float(0), n)
            if part == 0, let biasPointer {
                fillRows(target, count: m, stride: ldc, with: biasPointer.base, width: n)
                targetBeta = 1
            }
            oneCoreGemm(precision, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: depth, alpha: alpha,
                        a: aSlice, lda: lda, b: bSlice, ldb: ldb, beta: targetBeta, c: target, ldc: targetStride)
        }
        Parallel.forEachRow(m, width: n) { row in
            let target = cPointer.base + row * ldc
            for part in 1..<parts {
                let partial = partialPointer.base + (part - 1) * m * n + row * n
                for j in 0..<n { target[j] += partial[j] }
            }
            if gelu { geluInPlace(target, slope: slopePointer.map { $0.base + row * n }, rows: 1, width: n) }
        }
    }
}

extension BLAS {
    /// `matmul` on the fast path: the product on OpenBLAS, split across the cores by `gemm`.
    ///
    /// With `transposeA` the left operand is stored `(K, M)`; with `transposeB` the right one is `(N, K)`.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        checkShapes(a.rank == 2 && b.rank == 2, "matmul: expects two matrices, got \(a.shape) and \(b.shape)")
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kB, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        checkShapes(k == kB, "matmul: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
        guard m > 0, n > 0, k > 0 else { return Tensor(zeros: [m, n]) }
        return a.scalars.withUnsafeBufferPointer { aBuffer in
            b.scalars.withUnsafeBufferPointer { bBuffer in
                // beta = 0: BLAS writes every element of C without reading it, so C starts uninitialised.
                Tensor(shape: [m, n]) { c in
                    BLAS.gemm(
                        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                        a: aBuffer.baseAddress!, lda: a.shape[1], b: bBuffer.baseAddress!, ldb: b.shape[1],
                        c: c, ldc: n)
                }
            }
        }
    }

    /// `batchedMatmul` on the fast path: `(B, M, K) · (B, K, N)` → `(B, M, N)`.
    ///
    /// OpenBLAS 0.3.21 has no batched GEMM, and attention's products (50×50×64) are too small to split by
    /// rows, so the batch is split across cores instead: each core runs whole single-threaded products.
    public static func batchedMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        checkShapes(a.rank == 3 && b.rank == 3 && a.shape[0] == b.shape[0],
                    "batchedMatmul: expects (B, M, K) and (B, K, N) with equal B, got \(a.shape) and \(b.shape)")
        let batch = a.shape[0]
        let (m, k) = transposeA ? (a.shape[2], a.shape[1]) : (a.shape[1], a.shape[2])
        let (kB, n) = transposeB ? (b.shape[2], b.shape[1]) : (b.shape[1], b.shape[2])
        checkShapes(k == kB, "batchedMatmul: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
        guard batch > 0, m > 0, n > 0, k > 0 else { return Tensor(zeros: [batch, m, n]) }
        _ = Parallel.configureBLASOnce
        let (aStride, bStride, cStride) = (a.shape[1] * a.shape[2], b.shape[1] * b.shape[2], m * n)
        let (lda, ldb) = (a.shape[2], b.shape[2])
        return a.scalars.withUnsafeBufferPointer { aBuffer in
            b.scalars.withUnsafeBufferPointer { bBuffer in
                Tensor(shape: [batch, m, n]) { cBuffer in  // beta = 0: every element written
                    let aPointer = SendablePointer(UnsafeMutablePointer(mutating: aBuffer.baseAddress!))
                    let bPointer = SendablePointer(UnsafeMutablePointer(mutating: bBuffer.baseAddress!))
                    let cPointer = SendablePointer(cBuffer)
                    Parallel.forEachRange(batch, grain: BLAS.smallProductGrain(batch)) { items in
                        for item in items {
                            SystemBLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1, a: aPointer.base + item * aStride,
                                             lda: lda, b: bPointer.base + item * bStride, ldb: ldb, beta: 0,
                                             c: cPointer.base + item * cStride, ldc: n)
                        }
                    }
                }
            }
        }
    }
}

/// Where the matrix of head `h` of image `b` lies inside a larger buffer: it starts at
/// `b · imageStride + h · headStride`.
///
/// This is how attention multiplies the heads straight out of the `qkv` output `(B·T, 3D)` and writes
/// straight into the `(B·T, D)` context, without copying each head into a tensor of its own; the
/// distance between a head's rows is the buffer's row width, passed to the product as its leading dimension.
public struct HeadMatrices: Sendable {
    /// Distance between the first elements of consecutive images.
    public let imageStride: Int
    /// Distance between the first elements of consecutive heads of one image.
    public let headStride: Int

    /// Heads as column blocks of width `headWidth` in a token-major `(B·T, width)` matrix: token `t` of
    /// image `b` is row `b·T + t`, head `h` takes columns `h·headWidth ..< (h+1)·headWidth`.
    public static func tokenMajor(tokens: Int, width: Int, headWidth: Int) -> HeadMatrices {
        HeadMatrices(imageStride: tokens * width, headStride: headWidth)
    }

    /// One contiguous `(rows, columns)` matrix per head, heads of an image side by side: `(B·H, rows, columns)`.
    public static func headMajor(heads: Int, rows: Int, columns: Int) -> HeadMatrices {
        HeadMatrices(imageStride: heads * rows * columns, headStride: rows * columns)
    }

    /// The first element of head `head` of image `image` in the buffer that starts at `base`.
    public func start(_ base: UnsafeMutablePointer<Float>, image: Int, head: Int) -> UnsafeMutablePointer<Float> {
        base + image * imageStride + head * headStride
    }
}

extension BLAS {
    /// Calls `body(image, head, scratch)` for every head of every image, heads spread over the cores in
    /// chunks of several. `scratch` is `scratchCount` floats of the calling chunk's own, for a head's
    /// intermediate `(T, T)` matrix: it stays in the core's cache from one product to the next.
    ///
    /// Attention's products are too small to split by rows (50×50×64 for B1), so whole heads go to the
    /// cores, and each head runs all its steps at once instead of every head running one step per pass.
    public static func forEachHead(
        images: Int, heads: Int, scratchCount: Int = 0,
        _ body: @Sendable (_ image: Int, _ head: Int, _ scratch: UnsafeMutablePointer<Float>) -> Void
    ) {
        _ = Parallel.configureBLASOnce
        let items = images * heads
        guard items > 0 else { return }
        Parallel.forEachRange(items, grain: smallProductGrain(items)) { range in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(scratchCount, 1))
            defer { scratch.deallocate() }
            for item in range {
                let (image, head) = item.quotientAndRemainder(dividingBy: heads)
                body(image, head, scratch)
            }
        }
    }

    /// `C = alpha · op(A) · op(B) + beta · C` on the calling core, for one head's small product: the AVX2
    /// kernel `dino_small_gemm` where it is faster (`usesSmallProductKernel`), else one single-threaded
    /// `cblas_sgemm`, which spends more time checking, packing and dispatching a 10×10×64 product than
    /// multiplying it. Arguments as in `gemm`.
    public static func smallGemm(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if usesSmallProductKernel(transposeB: transposeB, m: m, n: n, k: k) {
            dino_small_gemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        } else {
            _ = Parallel.configureBLASOnce
            SystemBLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                             beta: beta, c: c, ldc: ldc)
        }
    }

    /// Whether `smallGemm` multiplies with the AVX2 kernel `dino_small_gemm` instead of `cblas_sgemm`:
    /// for products up to 64×64×64, measured on one core by `kernel-benchmark`. For a local crop (10
    /// tokens) it is 2.1× as fast for `A·V` and `Aᵀ·∂O` and 1.6× for `Q·Kᵀ`; for a global crop (50 tokens)
    /// 1.1–1.2×. Larger products, which OpenBLAS blocks for the caches, and a transposed `op(B)` larger than
    /// the kernel's copy on the stack (`n·k` ≤ 16 384) stay on OpenBLAS.
    static func usesSmallProductKernel(transposeB: Bool, m: Int, n: Int, k: Int) -> Bool {
        vectorKernelsAvailable && m * n * k <= 64 * 64 * 64 && (!transposeB || n * k <= 16_384)
    }
}
