// snippet.naive-matmul
/// The matrix product written as its definition, `C[i][j] = Σₖ A[i][k] · B[k][j]`: `(M, K) · (K, N)` →
/// `(M, N)`. Kept beside the BLAS version as the reference that tests compare it with; about a hundred
/// times slower.
public func naiveMatmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    checkShapes(a.rank == 2 && b.rank == 2 && a.shape[1] == b.shape[0],
                "naiveMatmul: expects (M, K) and (K, N), got \(a.shape) and \(b.shape)")
    let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
    var c = Tensor(zeros: [m, n])
    for i in 0..<m {
        for j in 0..<n {
            var sum: Float = 0
            for p in 0..<k { sum += a.scalars[i * k + p] * b.scalars[p * n + j] }
            c.scalars[i * n + j] = sum
        }
    }
    return c
}
// snippet.end
