// snippet.compute-path
/// Which implementation of the computation runs: the plain **reference** path that the book quotes
/// (loops and simple tensor operations, one core, every addition in a fixed order), or the **fast** path
/// that the trainer runs (blocked OpenBLAS products, the worker pool, AVX2 kernels, fused passes;
/// `Sources/DINO/Fast/`).
///
/// Both compute the same mathematics, and tests prove them equal within stated tolerances. A function
/// with a fast twin hands over to it in its first line when the fast path is on; everything after that
/// line is the reference.
public enum ComputePath: String, Codable, Sendable, CaseIterable {
    /// The mathematics, written plainly: what chapters 00–08 show and run.
    case reference
    /// The same mathematics, made fast: what the trainer and the benchmarks run.
    case fast

    /// The path in force: the one `ComputeSettings.current` holds, `.reference` unless a run binds
    /// another where it starts (the trainer's `--path`).
    public static var current: ComputePath { ComputeSettings.current.path }

    /// Whether the fast path is on: the test each function with a fast twin makes first.
    @inline(__always)
    public static var isFast: Bool { current == .fast }
}
// snippet.end
