import VectorKernels

/// Whether this CPU runs the AVX2/FMA kernels of `Sources/VectorKernels` (GELU, softmax, LayerNorm),
/// checked once with `cpuid`. Swift compiles for the x86-64 baseline and cannot target one function at
/// AVX2, so these few row kernels are in C; where the CPU lacks AVX2 or FMA, their Swift versions on
/// `FloatLanes` run instead, and `VectorKernelTests` holds the two together.
let vectorKernelsAvailable = dino_vector_kernels_available()
