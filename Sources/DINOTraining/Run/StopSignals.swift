import DINO
import Foundation
import Synchronization

/// Ctrl-C and `kill` without losing the run: the first SIGINT or SIGTERM asks the trainer to stop after
/// the step it is in, write a checkpoint and say how to resume; a second one ends the process at once
/// (the last checkpoint on disk is intact, since every file is written to a temporary name and renamed).
public enum StopSignals {
    /// The signal received, 0 while none has been.
    static let received = Atomic<Int32>(0)

    /// Installs the handlers, once per process (the trainer's command calls it).
    public static func install() {
        // A parent may have blocked them (some process launchers do); this process wants them.
        var signals = sigset_t()
        sigemptyset(&signals)
        for number in [SIGINT, SIGTERM] { sigaddset(&signals, number) }
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        for number in [SIGINT, SIGTERM] {
            // Only async-signal-safe work in the handler: an atomic exchange, and `_exit` the second time.
            signal(number) { number in
                if StopSignals.received.exchange(number, ordering: .sequentiallyConsistent) != 0 { _exit(128 + number) }
            }
        }
    }

    /// The signal that asked the run to stop, if one has.
    public static var pending: Int32? {
        let number = received.load(ordering: .sequentiallyConsistent)
        return number == 0 ? nil : number
    }
}
