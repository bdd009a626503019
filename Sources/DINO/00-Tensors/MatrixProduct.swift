// snippet.matmul
/// The matrix product `op(a) · op(b)`: `(M, K) · (K, N)` → `(M, N)`, written as its definition,
/// `C[i][j] = Σₖ op(A)[i][k] · op(B)[k][j]`.
///
/// With `transposeA` the left operand is stored `(K, M)`; with `transposeB` the right one is `(N, K)`.
/// The sum over `k` runs in order, so the result is the same on every CPU. The fast path multiplies on
/// OpenBLAS instead (`BLAS.matmul`), far faster (a whole B1 training step, 50× at one thread: `step-benchmark`).
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    checkShapes(a.rank == 2 && b.rank == 2, "matmul: expects two matrices, got \(a.shape) and \(b.shape)")
    if ComputePath.isFast { return BLAS.matmul(a, b, transposeA: transposeA, transposeB: transposeB) }
    let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (kB, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    checkShapes(k == kB, "matmul: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
    // Where op(A)[i][p] and op(B)[p][j] are stored.
    func aIndex(_ i: Int, _ p: Int) -> Int { transposeA ? p * m + i : i * k + p }
    func bIndex(_ p: Int, _ j: Int) -> Int { transposeB ? j * k + p : p * n + j }
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
        for p in 0..<k {
            // Row i of C gains op(A)[i][p] times row p of op(B): each C[i][j] still sums over p in order.
            let left = a.scalars[aIndex(i, p)]
            for j in 0..<n { c[i * n + j] += left * b.scalars[bIndex(p, j)] }
        }
    }
    return Tensor(shape: [m, n], scalars: c)
}
// snippet.end

/// A batch of independent products: `(B, M, K) · (B, K, N)` → `(B, M, N)`, with the flags of `matmul`
/// applied to every pair.
public func batchedMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    checkShapes(a.rank == 3 && b.rank == 3 && a.shape[0] == b.shape[0],
                "batchedMatmul: expects (B, M, K) and (B, K, N) with equal B, got \(a.shape) and \(b.shape)")
    if ComputePath.isFast { return BLAS.batchedMatmul(a, b, transposeA: transposeA, transposeB: transposeB) }
    let products = (0..<a.shape[0]).map { item in
        matmul(a.item(item), b.item(item), transposeA: transposeA, transposeB: transposeB)
    }
    let (m, n) = (transposeA ? a.shape[2] : a.shape[1], transposeB ? b.shape[1] : b.shape[2])
    return Tensor(shape: [a.shape[0], m, n], scalars: products.flatMap(\.scalars))
}

extension Tensor {
    /// Item `index` of the outermost dimension, without it: `(B, …)` → `(…)`.
    public func item(_ index: Int) -> Tensor {
        rows(index..<index + 1).reshaped(Array(shape.dropFirst()))
    }
}
