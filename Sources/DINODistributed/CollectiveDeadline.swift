#if MPI
import CMPI
#endif
import Foundation

/// A bound on how long one rank waits in a collective for the others. A rank killed outright is noticed
/// by Open MPI at once, but a machine whose link is cut leaves TCP waiting for minutes; past the deadline
/// this rank says so and stops the run (`MPI_Abort`, or its own exit if even that cannot reach the others).
/// The deadline, `DINO_COMMUNICATION_DEADLINE` seconds (default 600), must exceed the longest wait a
/// healthy run has: the other ranks wait in the next sum while rank 0 evaluates and writes checkpoints.
final class CollectiveDeadline: @unchecked Sendable {
    static let shared = CollectiveDeadline()

    /// Seconds a collective may take, from `DINO_COMMUNICATION_DEADLINE`.
    let seconds: Double = {
        let text = ProcessInfo.processInfo.environment["DINO_COMMUNICATION_DEADLINE"] ?? ""
        guard let value = Double(text), value.isFinite, value >= 1 else { return 600 }
        return value
    }()

    // Guarded by `lock`: the collective under way (its number, what it does, when it began).
    private let lock = NSLock()
    private var current: (number: Int, what: String, rank: Int, size: Int, start: ContinuousClock.Instant)?
    private var count = 0
    private var watching = false

    /// Marks the start of a collective; returns its number for `end`.
    func begin(_ what: String, rank: Int, size: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        current = (count, what, rank, size, ContinuousClock.now)
        if !watching {
            watching = true
            let thread = Thread { [self] in watch() }
            thread.name = "collective deadline"
            thread.start()
        }
        return count
    }

    /// Marks the end of collective `number`.
    func end(_ number: Int) {
        lock.lock()
        defer { lock.unlock() }
        if current?.number == number { current = nil }
    }

    private func watch() {
        while true {
            Thread.sleep(forTimeInterval: min(1, seconds / 4))
            lock.lock()
            let late = current.flatMap { ContinuousClock.now - $0.start > .seconds(seconds) ? $0 : nil }
            lock.unlock()
            guard let late else { continue }
            let message = """
                rank \(late.rank) of \(late.size): no answer from the other ranks for \(Int(seconds)) s while \(late.what): \
                a machine or its network link is lost (DINO_COMMUNICATION_DEADLINE=\(Int(seconds))). Stopping every rank; \
                the last checkpoint on disk is whole: resume from it with --resume, on the machines that remain.

                """
            try? FileHandle.standardError.write(contentsOf: Data(message.utf8))
            // MPI_Abort needs the other side to hear it; if it cannot return within 10 s, exit alone.
            let fallback = Thread { Thread.sleep(forTimeInterval: 10); _exit(75) }
            fallback.start()
            #if MPI
            MPI_Abort(dino_mpi_comm_world(), 75)
            #endif
            _exit(75)
        }
    }
}
