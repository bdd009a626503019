import DINO
import Foundation

/// Standard output that never traps: a closed pipe or a full device becomes an error that names the
/// cause, which stops a run with a message instead of killing it with a signal.
public enum StandardOutput {
    /// SIGPIPE ignored, once per process: a write to a closed pipe then fails with EPIPE, which `write`
    /// turns into an error, instead of ending the process without a word.
    static let brokenPipeIgnored: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Throws when standard output is closed: the first file this process opened would otherwise take
    /// its descriptor, and the progress meant for the reader would be written into that file.
    public static func checkOpen() throws {
        guard fcntl(STDOUT_FILENO, F_GETFD) != -1 else {
            throw DataError("standard output cannot be written (it is closed): stopping before anything is opened")
        }
    }

    /// Writes `text` at once (unbuffered, so progress appears as it happens), or throws a message.
    public static func write(_ text: String) throws {
        _ = brokenPipeIgnored
        do {
            try FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
        } catch {
            throw DataError("standard output cannot be written (\((error as NSError).localizedDescription)): stopping")
        }
    }
}
