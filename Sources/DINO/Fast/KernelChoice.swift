import Foundation
import VectorKernels

/// Which of our C kernels the fast path may use, read once from the environment variable `DINO_KERNELS`:
/// `generic` (neither AVX2 nor AVX-512: the Swift fallbacks and the portable bfloat16 path that every ARM
/// or older x86 CPU runs), `avx2` (AVX2 and FMA, no AVX-512), or unset for the best this CPU has. For
/// testing the fallbacks on a machine that has more; results differ by summation order only.
public enum KernelChoice: String, Sendable, CaseIterable {
    /// Plain code only.
    case generic
    /// The AVX2/FMA row kernels and small products, no AVX-512.
    case avx2
    /// Whatever this CPU runs: the default.
    case best

    /// The choice in force for this process, from `DINO_KERNELS` (read once). An unknown value is named
    /// on standard error and the best kernels run.
    public static let current: KernelChoice = {
        guard let text = ProcessInfo.processInfo.environment["DINO_KERNELS"], !text.isEmpty else { return .best }
        guard let choice = KernelChoice(rawValue: text), choice != .best else {
            let warning = "warning: DINO_KERNELS=\(text) is not generic or avx2; using the best kernels this CPU has\n"
            try? FileHandle.standardError.write(contentsOf: Data(warning.utf8))
            return .best
        }
        return choice
    }()

    /// Whether the AVX2/FMA kernels run: the CPU has them and the choice allows them.
    public static let usesAVX2 = dino_vector_kernels_available() && current != .generic

    /// Whether the AVX-512 bfloat16 kernel runs: the CPU has AVX512_BF16 and the choice allows it.
    public static let usesAVX512BF16 = dino_bf16_available() && current == .best

    /// One line for a report: the choice and what this CPU runs under it.
    public static var summary: String {
        "DINO_KERNELS=\(current == .best ? "(unset)" : current.rawValue): AVX2 kernels \(usesAVX2 ? "on" : "off"), "
            + "AVX-512 bf16 kernel \(usesAVX512BF16 ? "on" : "off (bf16 runs on the portable path)")"
    }
}
