import VectorKernels

/// The precision of the fast path's large matrix products, as PyTorch's CPU autocast chooses it:
/// `fp32` everywhere, or `bf16` operands with float32 sums (`--precision bf16`).
///
/// In `bf16` only the products of `BLAS.gemm` change: the linear layers' forward and backward passes,
/// and so the qkv and output projections, the MLPs and the head. The weights the optimiser updates, its
/// moments, the loss and its softmax, LayerNorm's statistics, GELU, the centre and the EMA stay in
/// float32, because each of them either accumulates many small changes (the EMA moves a weight by
/// 0.4% of a difference; bfloat16 resolves 0.8%) or subtracts nearly equal numbers (a variance, a
/// log-sum-exp). Attention's per-head products (at most 50 × 50 × 64 on B1) stay in float32 too.
public enum MatrixPrecision: String, Codable, Sendable, CaseIterable {
    /// float32 operands and sums: the default.
    case fp32
    /// bfloat16 operands, float32 sums; needs AVX512_BF16 (`MatrixPrecision.bf16IsAvailable`).
    case bf16

    /// The precision in force: the one `ComputeSettings.current` holds (`fp32` unless a run binds
    /// another). Read once per product, before it is split across cores (the worker threads do not
    /// inherit task-local values).
    public static var current: MatrixPrecision { ComputeSettings.current.precision }

    /// Whether this CPU runs bfloat16 products: AVX512_BF16 (Intel Cooper Lake and Sapphire Rapids,
    /// AMD Zen 4 and later) with the operating system saving the 512-bit registers.
    public static let bf16IsAvailable: Bool = dino_bf16_available()

    /// Why `bf16` cannot run here, or `nil` when it can.
    public static var bf16Unavailability: String? {
        bf16IsAvailable ? nil : """
            --precision bf16 needs a CPU with AVX512_BF16 (Intel Cooper Lake, Sapphire Rapids or later; AMD Zen 4 \
            or later), and this one lacks it; train with --precision fp32 (the default)
            """
    }
}
