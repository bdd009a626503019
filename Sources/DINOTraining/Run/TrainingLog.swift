import DINO
import Figures
import Foundation

/// What a run reports: a live progress bar on a terminal (plain log lines otherwise), every step and
/// epoch as JSON Lines in `metrics.jsonl`, and SVG charts of the curves, all in the output folder.
public final class TrainingLog: @unchecked Sendable {
    /// The output folder.
    public let folder: URL
    private let interactive: Bool
    private var steps: [[String: Double]] = []
    /// The epoch records so far, a resumed run's earlier ones included.
    public private(set) var epochs: [[String: Double]] = []
    private var lastPlainLine = Date.distantPast
    private let metrics: FileHandle?
    private let quiet: Bool
    /// The raw pixels' k-NN accuracy, drawn as the line the run's k-NN curve has to beat.
    public var rawPixelsAccuracy: Double?

    /// A log writing into `folder` (created if needed); `metrics.jsonl` is appended to, so a resumed run
    /// continues it, and read, so that its charts continue too. A run resumed from the checkpoint of
    /// `resumedAtIteration` repeats the steps after it: their earlier records are dropped from the file
    /// (rewritten atomically), so that each step is logged once. With `quiet`, nothing is printed;
    /// without `writesFiles` (every data-parallel rank but the first), nothing is written either.
    public init(folder: URL, quiet: Bool = false, writesFiles: Bool = true, resumedAtIteration: Int? = nil) throws {
        self.folder = folder
        self.quiet = quiet
        interactive = isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["CI"] == nil
        guard writesFiles else { metrics = nil; return }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("metrics.jsonl")
        func refusal(_ reason: String) -> DataError {
            DataError("\(reason); the run cannot keep its metrics there: fix or move the file (the run's other files are intact) and run again")
        }
        if !FileManager.default.fileExists(atPath: url.path) { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        if let reason = unreadableFileReason(url.path) { throw refusal(reason) }
        let earlierBytes: Data
        do { earlierBytes = try Data(contentsOf: url) } catch { throw refusal(describeSystemError(error, path: url.path)) }
        var earlier = Self.lines(of: earlierBytes)
        // A kill in the middle of a line left it unfinished: a resumed run drops it and logs that step again.
        var cutShort = earlierBytes.last.map { $0 != UInt8(ascii: "\n") } ?? false
        if let resumedAtIteration {
            let kept = Self.records(in: earlier, through: resumedAtIteration)
            if kept != earlier || cutShort {
                try writeAtomically(kept.reduce(Data()) { $0 + $1 + Data("\n".utf8) }, to: url)
                (earlier, cutShort) = (kept, false)
            }
        }
        let handle: FileHandle
        do {
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
            if cutShort { try handle.write(contentsOf: Data("\n".utf8)) }  // the next record starts a line of its own
        } catch { throw refusal(describeSystemError(error, path: url.path)) }
        metrics = handle
        let unreadable = readEarlierRecords(earlier)
        if !unreadable.isEmpty, !quiet {
            // Not ours to delete: an edited line stays in the file, and only the charts leave it out.
            let numbers = unreadable.prefix(5).map(String.init).joined(separator: ", ") + (unreadable.count > 5 ? ", …" : "")
            try? FileHandle.standardError.write(contentsOf: Data("""
                warning: \(url.path): line\(unreadable.count > 1 ? "s" : "") \(numbers) \(unreadable.count > 1 ? "are not JSON records" : "is not a JSON record") \
                (edited?); kept in the file as \(unreadable.count > 1 ? "they are" : "it is"), left out of the charts

                """.utf8))
        }
    }

    deinit { try? metrics?.close() }

    /// The finished lines of `bytes`, each without its newline: an unfinished last line is left out.
    static func lines(of bytes: Data) -> [Data] {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Data($0) }
        if !lines.isEmpty { lines.removeLast() }  // after the last newline: empty, or a line a kill cut short
        return lines.filter { !$0.isEmpty }
    }

    /// The lines a run resumed at `iteration` keeps: those of no iteration (the baselines) and those of
    /// iterations up to it; a line that is not a JSON record (edited by hand) is kept as it is.
    static func records(in lines: [Data], through iteration: Int) -> [Data] {
        lines.filter { line in
            guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else { return true }
            guard let logged = (object["iteration"] as? NSNumber)?.doubleValue else { return true }
            return logged <= Double(iteration)
        }
    }

    /// Reads the records a resumed run wrote before, so that its charts show the whole run; returns the
    /// (1-based) numbers of the lines that are not JSON records.
    private func readEarlierRecords(_ lines: [Data]) -> [Int] {
        var unreadable = [Int]()
        for (index, line) in lines.enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else { unreadable.append(index + 1); continue }
            let values = object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
            switch object["type"] as? String {
            case "step": steps.append(values)
            case "epoch": epochs.append(values)
            case "baselines": rawPixelsAccuracy = values["baseline_raw_pixels"]
            default: continue
            }
        }
        return unreadable
    }

    /// A line for the reader (clears the progress bar first); throws when standard output cannot be
    /// written (a closed pipe, a full device).
    public func say(_ line: String) throws {
        guard !quiet else { return }
        try StandardOutput.write((interactive ? "\r\u{1B}[K" : "") + line + "\n")
    }

    /// One training step: a JSON line, and the progress bar (or a plain line every ten seconds).
    public func step(_ values: [String: Double], batch: Int, batchesPerEpoch: Int, epochs: Int, secondsLeft: Double) throws {
        steps.append(values)
        try write(["type": "step"], values)
        let v = { (key: String) in values[key] ?? .nan }
        let text = String(format: "epoch %d/%d  step %d/%d  loss %.4f  lr %.2e  wd %.3f  λ %.5f  τt %.3f  h(Pt) %.3f  KL %.3f  %.1f img/s  %@ left",
                          Int(v("epoch")) + 1, epochs, batch, batchesPerEpoch, v("loss"), v("lr"), v("weight_decay"), v("teacher_momentum"),
                          v("teacher_temperature"), v("teacher_entropy"), v("kl"), v("images_per_second"), Self.duration(secondsLeft))
        if quiet { return }
        if interactive {
            let done = Int(Double(batch) / Double(max(batchesPerEpoch, 1)) * 20)
            try StandardOutput.write("\r\u{1B}[K[" + String(repeating: "█", count: done) + String(repeating: "·", count: 20 - done) + "] " + text)
        } else if Date().timeIntervalSince(lastPlainLine) >= 10 || batch == batchesPerEpoch {
            lastPlainLine = Date()
            try say(text)
        }
    }

    /// The end of an epoch: a JSON line and fresh charts.
    public func epoch(_ values: [String: Double]) throws {
        epochs.append(values)
        try write(["type": "epoch"], values)
        writeCharts()
    }

    /// The baselines measured at the start of a run: a JSON line, and the raw pixels' k-NN as the line
    /// the k-NN chart draws.
    public func baselines(_ values: [String: Double]) throws {
        rawPixelsAccuracy = values["baseline_raw_pixels"]
        try write(["type": "baselines"], values)
    }

    /// `h:mm:ss` or `m:ss`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    /// One JSON line in `metrics.jsonl`; a full disk is an error that names the file.
    private func write(_ kind: [String: String], _ values: [String: Double]) throws {
        guard let metrics else { return }
        var object: [String: Any] = kind
        for (key, value) in values { object[key] = value.isFinite ? value : nil }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        do {
            try metrics.write(contentsOf: data + Data("\n".utf8))
        } catch {
            throw DataError("\(describeSystemError(error, path: folder.appendingPathComponent("metrics.jsonl").path)); the run's metrics cannot be written")
        }
    }

    /// `loss.svg`, `knn.svg`, `knn-time.svg` and `monitor.svg` from the values logged so far.
    public func writeCharts() {
        guard metrics != nil else { return }
        let charts = Self.charts(steps: self.steps, epochs: epochs, rawPixelsAccuracy: rawPixelsAccuracy)
        for (name, chart) in [("loss.svg", charts.loss), ("knn.svg", charts.knn), ("knn-time.svg", charts.knnOverTime), ("monitor.svg", charts.monitor)] {
            writePicture(named: name) { try writeAtomically(Data(chart.svg().utf8), to: $0) }
        }
    }

    /// Writes a picture of the run (a chart, the attention map) into the folder with `draw`. A picture is
    /// drawn from what the run keeps elsewhere, so one that cannot be written is a warning, not the end
    /// of the run.
    public func writePicture(named name: String, _ draw: (URL) throws -> Void) {
        guard metrics != nil else { return }  // a rank that writes no files
        do {
            try draw(folder.appendingPathComponent(name))
        } catch {
            try? FileHandle.standardError.write(contentsOf: Data("warning: \(error); the run goes on without it\n".utf8))
        }
    }

    /// The charts of a run: the loss per iteration with the validation loss per epoch, the k-NN accuracy
    /// beside the raw pixels' (when measured) per epoch and against wall-clock minutes, and the collapse
    /// monitor (Eq. 5).
    public static func charts(steps: [[String: Double]], epochs: [[String: Double]], rawPixelsAccuracy: Double? = nil)
        -> (loss: Chart, knn: Chart, knnOverTime: Chart, monitor: Chart) {
        func line(_ records: [[String: Double]], _ x: String, _ y: String) -> [(x: Double, y: Double)] {
            records.compactMap { record in record[y].map { (record[x] ?? 0, $0) } }
        }
        let loss = Chart(title: "DINO loss", xLabel: "iteration", yLabel: "loss", series: [
            .init("training loss", line(steps, "iteration", "loss")),
            .init("validation loss (test split)", line(epochs, "iteration", "validation_loss")),
        ])
        func accuracyChart(_ accuracy: [(x: Double, y: Double)], xLabel: String) -> Chart {
            var series = [Chart.Series("k-NN top-1 of the teacher", accuracy)]
            if let rawPixelsAccuracy, let first = accuracy.first?.x, let last = accuracy.last?.x {
                series.append(.init("raw pixels", [(first, rawPixelsAccuracy), (max(last, first + 1), rawPixelsAccuracy)], dashed: true))
            }
            return Chart(title: "k-NN top-1 accuracy", xLabel: xLabel, yLabel: "top-1 (%)", series: series)
        }
        let knn = accuracyChart(line(epochs, "epoch", "knn_top1"), xLabel: "epoch")
        let timed = epochs.filter { $0["elapsed_seconds"] != nil }
        let knnOverTime = accuracyChart(line(timed, "elapsed_seconds", "knn_top1").map { ($0.x / 60, $0.y) }, xLabel: "wall-clock minutes")
        let monitor = Chart(title: "Collapse monitor (Eq. 5)", xLabel: "iteration", yLabel: "nats", series: [
            .init("h(P_t)", line(steps, "iteration", "teacher_entropy")),
            .init("KL(P_t‖P_s)", line(steps, "iteration", "kl")),
            .init("h(mean P_t)", line(steps, "iteration", "mean_teacher_entropy")),
        ])
        return (loss, knn, knnOverTime, monitor)
    }
}
