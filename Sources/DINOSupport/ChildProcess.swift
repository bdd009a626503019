import Foundation

/// A program started and awaited through its termination handler, never for ever.
///
/// `Process.waitUntilExit()` spins the calling thread's run loop, and off the main thread (a test
/// runner's workers, where the chapters and the command-line tests run) it can miss the child's end and
/// block for good. Here the end is a semaphore that the termination handler signals, registered before
/// the start, and every wait has a limit: past it the child is stopped (SIGTERM, then SIGKILL).
public struct ChildProcess {
    /// The running process (its identifier, its status once ended).
    public let process: Process
    private let ended: DispatchSemaphore

    /// Starts `process`, already configured (executable, arguments, files), watching for its end.
    public init(starting process: Process) throws {
        let ended = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in ended.signal() }
        try process.run()
        (self.process, self.ended) = (process, ended)
    }

    /// Starts `executable arguments` with `environment` added to this process's, standard output and
    /// error going to the given files (nil: discarded).
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                output: FileHandle? = nil, error: FileHandle? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = error ?? FileHandle.nullDevice
        try self.init(starting: process)
    }

    /// The child's process identifier.
    public var identifier: Int32 { process.processIdentifier }

    /// Waits at most `seconds` for the child to end. Returns false when it was still running; it has
    /// then been stopped: SIGTERM (so `mpirun` can stop its ranks), and SIGKILL 10 s later.
    public func wait(seconds: Double) -> Bool {
        defer { ended.signal() }  // the end stays signalled: a later wait returns at once, and signals nothing
        if ended.wait(timeout: .now() + seconds) == .success { return true }
        kill(process.processIdentifier, SIGTERM)
        if ended.wait(timeout: .now() + 10) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            ended.wait()
        }
        return false
    }

    /// The child's exit status, waiting at most `seconds`; throws (naming the command) when it had to be stopped.
    public func status(within seconds: Double) throws -> Int32 {
        guard wait(seconds: seconds) else { throw ChildProcessTimeout(process: process, seconds: seconds) }
        return process.terminationStatus
    }
}

/// A child process that did not end within its limit and was stopped.
public struct ChildProcessTimeout: Error, CustomStringConvertible {
    /// What ran, and how long it was given.
    public let description: String

    init(process: Process, seconds: Double) {
        let command = ([process.executableURL?.path ?? "?"] + (process.arguments ?? [])).joined(separator: " ")
        description = "`\(command.prefix(300))` was still running after \(String(format: "%g", seconds)) s and was stopped"
    }
}
