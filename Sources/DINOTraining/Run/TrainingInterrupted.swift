import DINO
import Foundation

/// The run stopped on a signal, after writing a checkpoint.
public struct TrainingInterrupted: Error, CustomStringConvertible {
    /// SIGINT or SIGTERM.
    public let signal: Int32
    /// Where the run stopped, and the checkpoint it wrote.
    public let epoch: Int, batch: Int, checkpoint: URL

    /// The exit status a shell expects after this signal: 128 + its number (130 for SIGINT, 143 for SIGTERM).
    public var exitStatus: Int32 { 128 + signal }

    /// What happened and how to continue.
    public var description: String {
        let name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
        return """
            stopped by \(name) after step \(batch) of epoch \(epoch + 1); checkpoint written to \(checkpoint.path). \
            Continue with: ch09-trainer train --resume --output-dir \(checkpoint.deletingLastPathComponent().path)
            """
    }
}
