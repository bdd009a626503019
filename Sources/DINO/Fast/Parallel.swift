import Dispatch
#if canImport(CMalloc)
import CMalloc
#endif

/// Splits work across cores in chunks whose boundaries never depend on timing, so that a run with the
/// same seed and the same thread count produces the same bits.
///
/// OpenBLAS is kept single-threaded: its own threads fall to one-core speed when the other core is
/// busy, and two pools fighting over two cores is slower than one. Big products are split here instead.
public enum Parallel {
    /// How many cores the library uses: the `threads` of `ComputeSettings.current` (1 unless a run
    /// binds another where it starts, the trainer's `--threads`).
    public static var threadCount: Int { ComputeSettings.current.threads }

    /// Runs once, before the first product: OpenBLAS single-threaded (every call of ours decides its own
    /// split), and glibc told to keep freed large blocks for reuse. By default it returns every block
    /// over 128 KiB to the kernel, so each new tensor faulted in fresh zeroed pages: a third of a
    /// training step went to the kernel clearing pages (measured with perf).
    static let configureBLASOnce: Void = {
        SystemBLAS.useCallingThreadOnly()
        #if canImport(CMalloc)
        // 32 MiB is the largest threshold glibc accepts on 64-bit (larger values are refused): every
        // activation of the B1 step (at most 10240 × 768 floats, 31.5 MB) then comes from the heap.
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
        #endif
    }()

    /// Calls `body(chunk)` for every chunk in `0..<chunkCount`, spread over `threadCount` workers.
    ///
    /// Which thread runs a chunk may vary (the `WorkerPool` hands out the next chunk to whichever thread
    /// is free), but what a chunk computes may not: the caller decides what a chunk is, writes each
    /// chunk's results to its own place and combines them in chunk order, so the bits never depend on
    /// timing. When the pool is busy (a nested or concurrent region), Dispatch runs the region instead,
    /// worker `w` taking chunks `w, w + T, w + 2T, …`.
    public static func forEachChunk(_ chunkCount: Int, _ body: @Sendable (Int) -> Void) {
        let workers = min(max(threadCount, 1), chunkCount)
        if workers <= 1 {
            for chunk in 0..<chunkCount { body(chunk) }
            return
        }
        if WorkerPool.shared.run(chunkCount: chunkCount, workers: workers, body) { return }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var chunk = worker
            while chunk < chunkCount {
                body(chunk)
                chunk += workers
            }
        }
    }

    /// Calls `body(row)` for every row in `0..<count` of a matrix `width` wide, rows spread over the cores
    /// in chunks of about `Tensor.elementwiseGrain` elements. For row-wise kernels whose rows are
    /// independent: each call writes only its own row's outputs.
    public static func forEachRow(_ count: Int, width: Int, _ body: @Sendable (Int) -> Void) {
        forEachRange(count, grain: max(1, Tensor.elementwiseGrain / max(width, 1))) { rows in
            for row in rows { body(row) }
        }
    }

    /// Calls `body(range)` on consecutive ranges of at most `grain` indices that cover `0..<count`.
    public static func forEachRange(_ count: Int, grain: Int, _ body: @Sendable (Range<Int>) -> Void) {
        precondition(grain > 0)
        let chunks = (count + grain - 1) / grain
        forEachChunk(chunks) { chunk in
            body(chunk * grain..<min(count, (chunk + 1) * grain))
        }
    }
}

/// A raw pointer that may cross into `concurrentPerform`'s `@Sendable` closures. Safe because every
/// chunk writes a disjoint part of the buffer.
public struct SendablePointer<Element>: @unchecked Sendable {
    /// The wrapped pointer.
    public let base: UnsafeMutablePointer<Element>
    /// Wraps `base`.
    public init(_ base: UnsafeMutablePointer<Element>) { self.base = base }
}
