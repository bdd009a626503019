import DINO
import Foundation
import Testing

/// Runs a test, or every test of a suite, on the fast path with `threads` cores: `@Suite(.fastPath)`.
/// For tests of the fast path's own pieces (kernels, splits across cores, the trainer).
public struct FastPathTrait: TestTrait, SuiteTrait, TestScoping {
    /// Cores the fast path uses inside the scope.
    public let threads: Int

    /// Binds the fast path and the thread count around the test.
    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await ComputeSettings.$current.withValue(ComputeSettings.current.with(path: .fast)) {
            try await ComputeSettings.$current.withValue(ComputeSettings.current.with(threads: threads)) { try await function() }
        }
    }

    /// Applies to each test of a suite, not once around the suite.
    public var isRecursive: Bool { true }
}

extension Trait where Self == FastPathTrait {
    /// The fast path on `DINO_TEST_THREADS` cores (1 when unset): the suite can be run at 1 and at 2.
    public static var fastPath: FastPathTrait {
        FastPathTrait(threads: max(1, Int(ProcessInfo.processInfo.environment["DINO_TEST_THREADS"] ?? "") ?? 1))
    }
    /// The fast path on `threads` cores.
    public static func fastPath(threads: Int) -> FastPathTrait { FastPathTrait(threads: threads) }
}
