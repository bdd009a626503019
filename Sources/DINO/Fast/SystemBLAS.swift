#if canImport(Accelerate)
import Accelerate
#else
import COpenBLAS
#endif

/// The system's BLAS, and the only file that calls one: OpenBLAS (`libopenblas-dev`) on Linux and other
/// systems, Accelerate on Apple's, which every Mac has. The fast path asks it for single-precision
/// products on one core at a time and splits the work across cores itself (`Parallel`).
public enum SystemBLAS {
    /// `C ← α·op(A)·op(B) + β·C`, row-major, on the calling thread: `op(A)` is `(m, k)`, `op(B)` `(k, n)`,
    /// `C` `(m, n)`, each row `lda`, `ldb`, `ldc` floats apart (`cblas_sgemm`).
    public static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Keeps the BLAS on the calling thread: every call of ours decides its own split across cores, and
    /// OpenBLAS's own threads fall to one core's speed when the other core is busy. Accelerate's products
    /// on one thread need no setting here.
    static func useCallingThreadOnly() {
        #if !canImport(Accelerate)
        openblas_set_num_threads(1)
        #endif
    }
}
