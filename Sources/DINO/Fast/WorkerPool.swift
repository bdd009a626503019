import Foundation
import Synchronization
import VectorKernels

/// The helper threads behind `Parallel`: they stay awake between parallel regions.
///
/// A B1 training step opens about 650 parallel regions (every product, every elementwise pass). A helper
/// that sleeps in the kernel between them starts each region 10–30 µs late, and with a fixed split the
/// caller then waits for it at the end: over 1% of a two-core step went idle that way (`perf`, about 1 300
/// context switches per step). These helpers spin for a while after each region, so the next one starts
/// at once, and sleep on a condition variable only after `spinLimit` idle checks.
///
/// One region at a time: a caller that finds the pool busy (a nested region, two tests at once) is told
/// so and falls back to Dispatch. What each chunk computes is fixed by the caller either way.
final class WorkerPool: @unchecked Sendable {
    /// The process's pool, its helpers started on first use.
    static let shared = WorkerPool()

    /// Idle checks (each a `pause`, tens of nanoseconds) before a helper goes to sleep: a few hundred µs.
    static let spinLimit = 1 << 14

    /// The cores this process may run on, asked once: Foundation reads it from the system on every call.
    private static let coreCount = ProcessInfo.processInfo.activeProcessorCount

    /// Whether the machine has a core for every worker. If not, a spinning helper would take the core
    /// the caller needs, so helpers sleep at once.
    private static func hasCores(for workers: Int) -> Bool { workers <= coreCount }

    private let busy = Atomic<Bool>(false)  // a region holds the pool
    private let generation = Atomic<Int>(0)  // bumped to start a region
    private let unfinished = Atomic<Int>(0)  // helpers still working on the current region
    private let nextChunk = Atomic<Int>(0)  // the first chunk of the current region not yet taken
    private let sleeping = NSCondition()  // where idle helpers wait
    private var sleepers = 0  // guarded by `sleeping`
    // Written by the region's caller before it bumps `generation`, read by helpers after they see it.
    private var helpers = 0
    private var workers = 0
    private var spinLimit = 0
    private var job: (() -> Void)?

    /// Runs `body(chunk)` for every chunk in `0..<chunkCount` on the calling thread and `workers − 1`
    /// helpers, and returns when all are done. Returns `false`, having run nothing, if the pool is busy.
    ///
    /// Each thread takes the next chunk not yet taken, so a thread that starts late or runs slower (the
    /// kernel's housekeeping lands on one core) does less instead of holding up the others. What a chunk
    /// computes never depends on which thread runs it.
    func run(chunkCount: Int, workers: Int, _ body: (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        while helpers < workers - 1 {
            helpers += 1
            // The helper counts regions from now: read here, since it may start after the bump below.
            let (index, seen, spinLimit) = (helpers, generation.load(ordering: .relaxed), Self.hasCores(for: workers) ? Self.spinLimit : 0)
            let thread = Thread { [self] in helperLoop(index: index, seen: seen, spinLimit: spinLimit) }
            thread.name = "dino-worker-\(index)"
            thread.start()
        }
        nextChunk.store(0, ordering: .relaxed)
        let takeChunks = { [self] in
            while true {
                let chunk = nextChunk.add(1, ordering: .relaxed).oldValue
                guard chunk < chunkCount else { return }
                body(chunk)
            }
        }
        withoutActuallyEscaping(takeChunks) { body in
            job = body
            self.workers = workers
            spinLimit = Self.hasCores(for: workers) ? Self.spinLimit : 0
            unfinished.store(helpers, ordering: .relaxed)
            generation.add(1, ordering: .releasing)  // publishes job, workers, spinLimit and the counters
            sleeping.lock()
            if sleepers > 0 { sleeping.broadcast() }
            sleeping.unlock()
            body()
            while unfinished.load(ordering: .acquiring) > 0 { dino_spin_pause() }
            job = nil
        }
        return true
    }

    private func helperLoop(index: Int, seen: Int, spinLimit: Int) {
        var (seen, spinLimit) = (seen, spinLimit)
        while true {
            var checks = 0
            while generation.load(ordering: .acquiring) == seen {
                checks += 1
                if checks < spinLimit {
                    dino_spin_pause()
                    continue
                }
                sleeping.lock()  // the caller bumps the generation before it takes this lock: no lost wake-up
                sleepers += 1
                while generation.load(ordering: .acquiring) == seen { sleeping.wait() }
                sleepers -= 1
                sleeping.unlock()
            }
            seen += 1  // a new region cannot start before every helper has finished this one
            work(index)
            spinLimit = self.spinLimit  // read inside the region: the caller writes it only between regions
            unfinished.subtract(1, ordering: .releasing)
        }
    }

    /// Kept out of line so that this helper's reference to the job is gone before it reports done.
    @inline(never)
    private func work(_ index: Int) {
        if index < workers, let job { job() }
    }
}
