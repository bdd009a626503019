import DINO
import Foundation
import Testing

/// `ChildProcess`: a program's end is awaited with a limit, a program past it is stopped (even one that
/// ignores SIGTERM), and a second wait returns at once instead of signalling a finished process.
@Suite struct ChildProcessTests {
    @Test func aProgramThatEndsGivesItsStatusAndASecondWaitReturnsAtOnce() throws {
        let child = try ChildProcess("/bin/sh", ["-c", "exit 3"])
        #expect(try child.status(within: 60) == 3)
        let started = Date()
        #expect(child.wait(seconds: 60), "expected the ended program's wait to succeed again, got a timeout")
        #expect(Date().timeIntervalSince(started) < 1, "expected the second wait to return at once, got \(Date().timeIntervalSince(started)) s")
    }

    @Test func aProgramPastItsLimitIsStoppedAndNamed() throws {
        let child = try ChildProcess("/bin/sleep", ["60"])
        let started = Date()
        #expect(throws: ChildProcessTimeout.self) { try child.status(within: 0.5) }
        let waited = Date().timeIntervalSince(started)
        // SIGTERM, or SIGKILL 10 s later where the child inherited SIGTERM blocked from the runner's thread.
        #expect(waited < 15, "expected sleep stopped within the 10 s grace, waited \(waited) s")
        #expect(!child.process.isRunning && child.process.terminationReason == .uncaughtSignal)
        let timeout = #expect(throws: ChildProcessTimeout.self) { try ChildProcess("/bin/sleep", ["60"]).status(within: 0.2) }
        #expect(timeout?.description == "`/bin/sleep 60` was still running after 0.2 s and was stopped", "got \(String(describing: timeout))")
    }

    @Test func aProgramThatIgnoresSIGTERMIsKilled() throws {
        // Negative control for the first stop: this one outlives SIGTERM and needs the SIGKILL 10 s later.
        let child = try ChildProcess("/bin/bash", ["-c", "trap '' TERM; while :; do sleep 1; done"])
        let started = Date()
        #expect(!child.wait(seconds: 0.5))
        let waited = Date().timeIntervalSince(started)
        #expect(waited > 10 && waited < 20, "expected the SIGKILL 10 s after SIGTERM, waited \(waited) s")
        #expect(child.process.terminationReason == .uncaughtSignal && child.process.terminationStatus == SIGKILL)
    }
}
