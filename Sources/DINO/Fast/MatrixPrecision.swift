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
    /// bfloat16 operands, float32 sums: on the AVX-512 kernel where the CPU has AVX512_BF16
    /// (`bf16KernelIsAvailable`), on the portable path elsewhere.
    case bf16

    /// The precision in force: the one `ComputeSettings.current` holds (`fp32` unless a run binds
    /// another). Read once per product, before it is split across cores (the worker threads do not
    /// inherit task-local values).
    public static var current: MatrixPrecision { ComputeSettings.current.precision }

    /// Whether bfloat16 products run on the AVX-512 kernel here (AVX512_BF16: Intel Cooper Lake and
    /// Sapphire Rapids, AMD Zen 4 and later, with the operating system saving the 512-bit registers, and
    /// `DINO_KERNELS` unset). Elsewhere `bf16` runs on the portable path: the operands rounded to bfloat16
    /// exactly as the kernel rounds them, the products and sums in float32, the same numbers up to the
    /// order of the sums, and slower than float32.
    public static let bf16KernelIsAvailable: Bool = KernelChoice.usesAVX512BF16

    /// What `bf16` runs on here, for a run's first lines: `nil` where the kernel runs.
    public static var bf16Note: String? {
        bf16KernelIsAvailable ? nil : """
            note: --precision bf16 runs on the portable path here (no AVX512_BF16 kernel on this CPU, or \
            DINO_KERNELS is set): the same numbers as the kernel's up to summation order, slower than fp32
            """
    }
}
