import DINO
import DINOTraining
import Foundation
import Testing

/// The command line as a user runs it: each case a subprocess of the built `ch09-trainer` (or a
/// chapter), asserting the exit status, the message, and that no file was lost or changed.
@Suite struct CommandLineTests {
    /// What a command did.
    struct Outcome {
        let status: Int32, output: String, error: String
    }

    /// The folder of the built executables: the test bundle's own (`swift test` builds them beside it).
    static let binaries = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments.first ?? "."))
        .resolvingSymlinksInPath().deletingLastPathComponent()

    /// Runs `script` with bash, `$BIN` naming the executables' folder; output and errors go to files, so
    /// that a full pipe never blocks the child. Throws when it runs longer than `seconds` (it is stopped).
    static func shell(_ script: String, seconds: Double = 900) throws -> Outcome {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dino-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let (out, err) = (scratch.appendingPathComponent("out"), scratch.appendingPathComponent("err"))
        for file in [out, err] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        let process = try ChildProcess("/bin/bash", ["-c", script], environment: ["BIN": binaries.path, "CI": "1"],
                                       output: try FileHandle(forWritingTo: out), error: try FileHandle(forWritingTo: err))
        return Outcome(status: try process.status(within: seconds), output: try String(contentsOf: out, encoding: .utf8),
                       error: try String(contentsOf: err, encoding: .utf8))
    }

    /// A fresh folder for one test's files.
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dino-cli-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A training run small enough for a debug build (about 10 s an epoch): 32 synthetic images of 28².
    static func tinyTraining(_ folder: URL, epochs: Int = 1) -> String {
        "$BIN/ch09-trainer train --dataset synthetic --train-subset 32 --eval-test-subset 16 --depth 1 --patch-size 7 "
            + "--out-dim 32 --global-crop-size 28 --local-crops-number 2 --local-crop-size 14 --batch-size 16 "
            + "--epochs \(epochs) --warmup-epochs 0 --threads 1 --output-dir '\(folder.path)'"
    }

    @Test func aChapterWritesItsFiguresWhereItIsTold() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let outcome = try Self.shell("cd '\(folder.path)' && $BIN/ch01-patch-embedding --figures drawn")
        #expect(outcome.status == 0, "\(outcome.error)")
        #expect(outcome.output.contains("figure: 01-patches.svg — "))
        let svg = try String(contentsOf: folder.appendingPathComponent("drawn/01-patches.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("rgb("), "the patch grid, one rectangle per pixel")
        // Negative controls: an unknown argument and an unwritable folder are messages with a status.
        let unknown = try Self.shell("$BIN/ch01-patch-embedding --color")
        #expect(unknown.status == 64 && unknown.error.contains("unknown arguments --color; expected none, or --figures FOLDER"), "\(unknown.error)")
        try Data().write(to: folder.appendingPathComponent("file"))
        let blocked = try Self.shell("$BIN/ch01-patch-embedding --figures '\(folder.path)/file/below'")
        #expect(blocked.status == 1 && blocked.error.contains("the figures cannot be written to"), "\(blocked.error)")
    }

    @Test func featuresNeverOverwriteTheirInput() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = folder.appendingPathComponent("checkpoint.safetensors")
        let bytes = Data((0..<256).map { UInt8($0) })
        try bytes.write(to: checkpoint)
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("link.safetensors"), withDestinationURL: checkpoint)
        for output in [checkpoint.path, folder.path + "/./checkpoint.safetensors", folder.appendingPathComponent("link.safetensors").path] {
            let outcome = try Self.shell("$BIN/ch09-trainer features --checkpoint '\(checkpoint.path)' --output '\(output)'")
            #expect(outcome.status != 0, "--output \(output)")
            #expect(outcome.error.contains("is the checkpoint being read"), "\(outcome.error)")
        }
        #expect(try Data(contentsOf: checkpoint) == bytes)
        // Negative control: another output gets past this check (and fails later, on the fake checkpoint).
        let other = try Self.shell("$BIN/ch09-trainer features --checkpoint '\(checkpoint.path)' --output '\(folder.path)/f.safetensors'")
        #expect(!other.error.contains("is the checkpoint being read"))
    }

    @Test func featuresAndEvaluateReadWhatTheyAreAskedFor() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let trained = try Self.shell(Self.tinyTraining(folder))
        #expect(trained.status == 0, "expected the tiny run to finish, got \(trained.error)")
        // The tiny run's linear probe reads its one block (DINO's 4, cut to the depth).
        #expect(trained.output.contains("linear probe on the frozen teacher's class token of the last block"), "expected the probe's readout, got \(trained.output)")
        let checkpoint = folder.appendingPathComponent("checkpoint.safetensors").path, output = folder.appendingPathComponent("f.safetensors")
        let written = try Self.shell("$BIN/ch09-trainer features --checkpoint '\(checkpoint)' --output '\(output.path)' --avgpool-patchtokens --threads 1")
        let features = try SafeTensors.read(output)["features"]
        // 16 test images; the class token and the pooled patches of a 192-d ViT.
        #expect(written.status == 0 && features?.shape == [16, 384], "expected (16, 384) features, got \(features?.shape ?? []): \(written.error)")
        let evaluated = try Self.shell("$BIN/ch09-trainer evaluate --checkpoint '\(checkpoint)' --avgpool-patchtokens true --threads 1")
        for row in ["| raw normalised pixels |", "| teacher: class token of the last block |", "| teacher: class token of the last block + average-pooled patch tokens |"] {
            #expect(evaluated.status == 0 && evaluated.output.contains(row), "expected the row \(row), got \(evaluated.output) \(evaluated.error)")
        }
    }

    @Test func aFolderThatHoldsARunIsNotOverwritten() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = folder.appendingPathComponent("checkpoint.safetensors")
        let bytes = Data("a run's checkpoint".utf8)
        try bytes.write(to: checkpoint)
        let outcome = try Self.shell(Self.tinyTraining(folder))
        #expect(outcome.status != 0)
        #expect(outcome.error.contains("already holds a run") && outcome.error.contains("--resume"), "\(outcome.error)")
        #expect(try Data(contentsOf: checkpoint) == bytes)
    }

    @Test func aSecondProcessOnOneFolderIsRefusedWithTheHoldersPID() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try ChildProcess("/bin/bash", ["-c", "exec " + Self.tinyTraining(folder, epochs: 3)],
                                     environment: ["BIN": Self.binaries.path])
        defer { _ = first.wait(seconds: 0) }  // stops it where it still runs
        // Wait (at most 20 s) until the first process holds the folder.
        let lockFile = folder.appendingPathComponent(".lock")
        var holder = ""
        for _ in 0..<200 where holder.isEmpty {
            holder = ((try? String(contentsOf: lockFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if holder.isEmpty { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(holder == "\(first.identifier)")
        let second = try Self.shell(Self.tinyTraining(folder, epochs: 3))
        #expect(second.status != 0)
        #expect(second.error.contains("in use by another run (PID \(first.identifier))"), "\(second.error)")
    }

    @Test func resumingACopyWritesIntoTheCopy() throws {
        let (original, copy) = (try Self.folder(), try Self.folder())
        defer { for f in [original, copy] { try? FileManager.default.removeItem(at: f) } }
        let trained = try Self.shell(Self.tinyTraining(original, epochs: 2) + " --saveckp-freq 1")
        #expect(trained.status == 0, "\(trained.error)")
        // The copy goes back to the end of epoch 1, then resumes.
        for name in try FileManager.default.contentsOfDirectory(atPath: original.path) where !name.hasPrefix(".") {
            try FileManager.default.copyItem(at: original.appendingPathComponent(name), to: copy.appendingPathComponent(name))
        }
        let copyCheckpoint = copy.appendingPathComponent("checkpoint.safetensors")
        try FileManager.default.removeItem(at: copyCheckpoint)
        try FileManager.default.copyItem(at: copy.appendingPathComponent("checkpoint0001.safetensors"), to: copyCheckpoint)
        let originalBytes = try Data(contentsOf: original.appendingPathComponent("checkpoint.safetensors"))
        let resumed = try Self.shell("$BIN/ch09-trainer train --resume --threads 1 --output-dir '\(copy.path)'")
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(try Data(contentsOf: original.appendingPathComponent("checkpoint.safetensors")) == originalBytes, "the original run was changed")
        #expect(try Data(contentsOf: copyCheckpoint) != Data(contentsOf: copy.appendingPathComponent("checkpoint0001.safetensors")),
                "the copy did not train its second epoch")
    }

    @Test func aCorruptCheckpointIsNamedAndNothingIsWritten() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try Self.shell(Self.tinyTraining(folder)).status == 0)
        let checkpoint = folder.appendingPathComponent("checkpoint.safetensors"), features = folder.appendingPathComponent("f.safetensors")
        let good = try Self.shell("$BIN/ch09-trainer features --checkpoint '\(checkpoint.path)' --output '\(features.path)'")
        #expect(good.status == 0, "\(good.error)")  // negative control
        try FileManager.default.removeItem(at: features)
        var bytes = try Data(contentsOf: checkpoint)
        bytes[bytes.count - 100] ^= 0x40  // inside the last tensor's data
        try bytes.write(to: checkpoint)
        let bad = try Self.shell("$BIN/ch09-trainer features --checkpoint '\(checkpoint.path)' --output '\(features.path)'")
        #expect(bad.status != 0)
        #expect(bad.error.contains("is corrupt") && bad.error.contains("tensor "), "\(bad.error)")
        #expect(!FileManager.default.fileExists(atPath: features.path))
        let resumed = try Self.shell("$BIN/ch09-trainer train --resume --output-dir '\(folder.path)'")
        #expect(resumed.status != 0 && resumed.error.contains("is corrupt"), "\(resumed.error)")
        #expect(try Data(contentsOf: checkpoint) == bytes)
    }

    /// `--restart` starts over in a folder that holds a run, keeping the old metrics beside the new; one
    /// that is refused (here: its data cannot be read) changes nothing in the folder.
    @Test func restartKeepsTheOldMetricsAndARefusedRestartChangesNothing() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try Self.shell(Self.tinyTraining(folder))
        #expect(first.status == 0, "\(first.error)")
        let metrics = folder.appendingPathComponent("metrics.jsonl"), previous = folder.appendingPathComponent("metrics.previous.jsonl")
        let oldMetrics = try Data(contentsOf: metrics)
        func snapshot() throws -> [String: Data] {
            try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".lock") }
                .reduce(into: [:]) { $0[$1] = try Data(contentsOf: folder.appendingPathComponent($1)) }
        }
        let before = try snapshot()
        let refused = try Self.shell("$BIN/ch09-trainer train --restart --dataset folder --data-path '\(folder.path)/no-such-images' --output-dir '\(folder.path)'")
        #expect(refused.status != 0)
        let afterRefusal = try snapshot()
        #expect(afterRefusal == before, "a refused --restart changed the folder: \(afterRefusal.keys.sorted())")
        let restarted = try Self.shell(Self.tinyTraining(folder) + " --restart")
        #expect(restarted.status == 0, "\(restarted.error)")
        #expect(try Data(contentsOf: previous) == oldMetrics, "the old run's metrics should be in metrics.previous.jsonl")
        let newMetrics = try Data(contentsOf: metrics)
        #expect(newMetrics != oldMetrics, "the new run should write its own metrics.jsonl")
    }

    /// A second Ctrl-C ends the run at once (status 130), and whatever checkpoint is on disk is whole.
    @Test func aSecondInterruptStopsAtOnceAndLeavesAWholeCheckpoint() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try ChildProcess(Self.binaries.appendingPathComponent("ch09-trainer").path, [
            "train", "--dataset", "synthetic", "--train-subset", "64", "--eval-test-subset", "16", "--depth", "1", "--patch-size", "7",
            "--out-dim", "32", "--global-crop-size", "28", "--local-crops-number", "2", "--local-crop-size", "14",
            "--batch-size", "16", "--epochs", "3", "--warmup-epochs", "0", "--threads", "1", "--checkpoint-every-iterations", "1",
            "--output-dir", folder.path])
        let metrics = folder.appendingPathComponent("metrics.jsonl")
        for _ in 0..<600 where ((try? String(contentsOf: metrics, encoding: .utf8)) ?? "").isEmpty { Thread.sleep(forTimeInterval: 0.1) }
        kill(run.identifier, SIGINT)
        kill(run.identifier, SIGINT)
        let stopped = Date()
        #expect(try run.status(within: 120) == 130)
        #expect(Date().timeIntervalSince(stopped) < 10, "the second Ctrl-C should end the run at once")
        let checkpoint = folder.appendingPathComponent("checkpoint.safetensors")
        if FileManager.default.fileExists(atPath: checkpoint.path) {
            var rng = SeededGenerator(seed: 0)
            var backbone = VisionTransformer(try Checkpoint.configuration(of: checkpoint).backbone, using: &rng)
            try Checkpoint.teacherBackbone(of: checkpoint, into: &backbone)  // reads and verifies every tensor it needs
        }
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func aSignalFinishesTheStepWritesACheckpointAndSaysHowToResume(signal: Int32, status: Int32) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let scratch = try Self.folder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let errors = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let run = try ChildProcess(Self.binaries.appendingPathComponent("ch09-trainer").path, [
            "train", "--dataset", "synthetic", "--train-subset", "64", "--eval-test-subset", "16", "--depth", "1", "--patch-size", "7",
            "--out-dim", "32", "--global-crop-size", "28", "--local-crops-number", "2", "--local-crop-size", "14",
            "--batch-size", "16", "--epochs", "3", "--warmup-epochs", "0", "--threads", "1", "--output-dir", folder.path],
            error: try FileHandle(forWritingTo: errors))
        // Wait (at most 60 s) for the first step's line in metrics.jsonl, then signal.
        let metrics = folder.appendingPathComponent("metrics.jsonl")
        for _ in 0..<600 where ((try? String(contentsOf: metrics, encoding: .utf8)) ?? "").isEmpty { Thread.sleep(forTimeInterval: 0.1) }
        kill(run.identifier, signal)
        let ended = try run.status(within: 300)
        let message = try String(contentsOf: errors, encoding: .utf8)
        #expect(ended == status, "\(message)")
        #expect(message.contains("checkpoint written to") && message.contains("train --resume --output-dir"), "\(message)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("checkpoint.safetensors").path))
        // The run continues from there to its end.
        let resumed = try Self.shell("$BIN/ch09-trainer train --resume --output-dir '\(folder.path)'")
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(resumed.output.contains("resumed from"), "\(resumed.output)")
    }

    @Test(arguments: ["exec 1>&-", "exec 1>/dev/full"])
    func anUnwritableStandardOutputEndsWithAMessage(redirection: String) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let chapter = try Self.shell("\(redirection); $BIN/ch00-tensors")
        #expect(chapter.status == 1 && chapter.error.contains("standard output cannot be written"), "\(chapter.status) \(chapter.error)")
        let training = try Self.shell("\(redirection); " + Self.tinyTraining(folder))
        #expect(training.status == 1 && training.error.contains("standard output cannot be written"), "\(training.status) \(training.error)")
        // Negative control: with a working standard output the chapter succeeds.
        #expect(try Self.shell("$BIN/ch00-tensors >/dev/null").status == 0)
    }
}
