import DINO
import Testing

/// Checks that `actual` equals `expected` within `absolute + relative·|expected|` at every element
/// (numpy's `allclose` rule): shapes first, then values. On failure the message gives the largest
/// absolute and relative differences, where they are, and the first values of both tensors.
public func assertClose(
    _ actual: Tensor, _ expected: Tensor, absolute: Float = 1e-5, relative: Float = 1e-4,
    _ label: String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    let prefix = label.isEmpty ? "" : "\(label): "
    guard actual.shape == expected.shape else {
        Issue.record("\(prefix)shape \(actual.shape) differs from the expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    let report = compare(actual, expected, absolute: absolute, relative: relative)
    if report.failures > 0 || report.nonFinite {
        Issue.record(
            """
            \(prefix)\(report.failures) of \(actual.count) elements differ beyond \(absolute) + \(relative)·|expected|\
            \(report.nonFinite ? " (non-finite values present)" : "")
            max |a − e| = \(report.maxAbsolute) at \(report.worstIndex); max |a − e|/|e| = \(report.maxRelative)
            actual:   \(actual.scalars.prefix(8).map { "\($0)" }.joined(separator: ", "))
            expected: \(expected.scalars.prefix(8).map { "\($0)" }.joined(separator: ", "))
            """, sourceLocation: sourceLocation)
    }
}

/// The differences between two tensors of the same shape.
public struct Comparison: Sendable {
    /// How many elements fall outside the tolerance.
    public var failures = 0
    /// The largest absolute difference.
    public var maxAbsolute: Float = 0
    /// The largest difference relative to the expected value's magnitude.
    public var maxRelative: Float = 0
    /// The flat index of the largest absolute difference.
    public var worstIndex = 0
    /// Whether either tensor holds a NaN or an infinity where the other does not agree.
    public var nonFinite = false
}

/// Compares two tensors of the same shape elementwise.
public func compare(_ actual: Tensor, _ expected: Tensor, absolute: Float, relative: Float) -> Comparison {
    var report = Comparison()
    for i in 0..<actual.count {
        let (a, e) = (actual.scalars[i], expected.scalars[i])
        if !a.isFinite || !e.isFinite {
            if !(a == e) { report.nonFinite = true; report.failures += 1 }
            continue
        }
        let difference = abs(a - e)
        if difference > report.maxAbsolute { report.maxAbsolute = difference; report.worstIndex = i }
        report.maxRelative = max(report.maxRelative, difference / max(abs(e), Float.leastNormalMagnitude))
        if difference > absolute + relative * abs(e) { report.failures += 1 }
    }
    return report
}

/// `matmul` on the reference path, whatever path the caller is on: the plain loops that fast products
/// are compared with.
public func referenceMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    ComputeSettings.$current.withValue(ComputeSettings.current.with(path: .reference)) { matmul(a, b, transposeA: transposeA, transposeB: transposeB) }
}

/// `body` on the fast path with `threads` cores: how the trainer computes.
public func onFastPath<Result>(threads: Int = 1, _ body: () throws -> Result) rethrows -> Result {
    try ComputeSettings.$current.withValue(ComputeSettings.current.with(path: .fast)) { try ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: threads)) { try body() } }
}
