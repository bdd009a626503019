import VectorKernels

/// Whether the AVX2/FMA kernels of `Sources/VectorKernels` (GELU, softmax, LayerNorm, small products)
/// run: this CPU has them (checked once with `cpuid`) and `DINO_KERNELS` allows them. Swift compiles for
/// the x86-64 baseline and cannot target one function at AVX2, so these few row kernels are in C; where
/// they do not run, their Swift versions on `FloatLanes` run instead, and `VectorKernelTests` holds the
/// two together.
let vectorKernelsAvailable = KernelChoice.usesAVX2
