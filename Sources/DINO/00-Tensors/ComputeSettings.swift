/// Where and how the library computes: which path, on how many cores, and the large matrix products'
/// precision. One value, bound once where a run starts (the trainer's `--path`, `--threads` and
/// `--precision`) and in test and benchmark support; the layers below read it and take no parameter for
/// it, so the code the book quotes stays the mathematics.
public struct ComputeSettings: Codable, Equatable, Sendable {
    /// The implementation that computes: the fast path, or the reference path the book quotes.
    public var path: ComputePath
    /// Cores to compute on (the fast path splits its products and rows across them).
    public var threads: Int
    /// The fast path's large products: float32, or bfloat16 operands with float32 sums.
    public var precision: MatrixPrecision

    /// A training run's settings, each default written here once: the fast path on two cores, in float32.
    public init(path: ComputePath = .fast, threads: Int = 2, precision: MatrixPrecision = .fp32) {
        (self.path, self.threads, self.precision) = (path, threads, precision)
    }

    /// What computes when nothing is bound: the reference path, on one core, in float32, as the
    /// chapters run.
    public static let unbound = ComputeSettings(path: .reference, threads: 1, precision: .fp32)

    /// The settings in force: `unbound` unless a caller binds others for a scope,
    /// `ComputeSettings.$current.withValue(settings) { … }`. Task-local, so two computations running at
    /// once (two tests, say) never change each other's settings; worker threads do not inherit it, so the
    /// fast path reads it before it splits work.
    @TaskLocal public static var current = ComputeSettings.unbound

    /// These settings with the values given changed.
    public func with(path: ComputePath? = nil, threads: Int? = nil, precision: MatrixPrecision? = nil) -> ComputeSettings {
        ComputeSettings(path: path ?? self.path, threads: threads ?? self.threads, precision: precision ?? self.precision)
    }
}
