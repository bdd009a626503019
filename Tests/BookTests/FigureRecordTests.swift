import DINOSupport
import Foundation
import Testing

/// Every measured figure the README and chapter 09 quote — a percentage or a duration — comes from a
/// committed record, and says which. A block of Markdown (a paragraph, a table, a code fence) carries
/// one marker, an HTML comment the reader does not see, in the block or alone just before it:
///
/// - `<!-- from: PATH -->`: each figure of the block is recomputed from PATH, a run's folder under
///   `Benchmarks/results/runs/` (its `metrics.jsonl`: a percentage is one of its accuracies, k-NN, linear
///   probe or a baseline, at any epoch; a duration one of its elapsed times) or a committed Markdown record
///   (any number in it, a duration as written). Which epoch a figure names is not checked.
/// - `<!-- table: python3 Benchmarks/study/study.py ARGUMENTS -->` (or `Benchmarks/race.py`): the table
///   that follows is that command's output, line for line (so the table regenerates from the committed
///   records).
/// - `<!-- unrecorded: WHY -->`: the figures' records were not kept; the section says "unrecorded"
///   where the reader sees it.
///
/// Swift code is not searched; a chapter's printed output (the text block after "Output:") is its
/// `expected.txt`, which the chapter tests hold. Any other figure fails the test, unless its line is on
/// the short allow-list below.
@Suite struct FigureRecordTests {
    /// The pages whose every figure is checked.
    static let pages = ["README.md", "book/09-trainer.md", "Benchmarks/results/records.md"]
    /// Records whose tables are themselves regenerated (the `table:` marker) wherever they carry one.
    static let records = ["Benchmarks/results/quick-preset.md", "Benchmarks/results/recipe-study.md"]

    /// Lines whose figures are not measurements, and why.
    static let allowed: [(line: String, why: String)] = [
        ("area 40–100% (global), 5–40% (local)", "the augmentation's parameters, not a result"),
        ("*Time: about", "a chapter's reading time, an estimate to plan by"),
        ("| [", "the contents table's reading times, estimates to plan by"),
        ("the whole suite, ≈9 min", "a rough duration to plan by"),
        ("each chapter runs in under 30 s", "a bound to plan by"),
        ("about 30 s from a local CPU wheel", "a rough duration to plan by"),
    ]

    /// A percentage (`85.69%`, `85.69 %`) or a duration (`8 min 5 s`, `1 h 31 min`, `29 minutes`, `23 s`).
    static let figurePattern = #"(\d+(?:\.\d+)?) ?%|\d+ h(?: \d+ min)?\b|\d+(?:\.\d+)? (?:min(?:utes)?|hours?)(?: \d+ s\b)?|\b\d+(?:\.\d+)? s\b"#
    static let markerPattern = #"<!-- (from|table|unrecorded): ?(.*?) ?-->"#

    struct Block {
        let lines: [String]
        var text: String { lines.joined(separator: "\n") }
    }

    /// Paragraphs, tables and code fences, split at blank lines (a fence is one block whatever it holds).
    static func blocks(_ text: String) -> [Block] {
        var blocks = [Block](), current = [String](), inFence = false
        for line in text.components(separatedBy: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") { inFence.toggle() }
            if trimmed.isEmpty && !inFence {
                if !current.isEmpty { blocks.append(Block(lines: current)); current = [] }
            } else {
                current.append(line)
            }
        }
        if !current.isEmpty { blocks.append(Block(lines: current)) }
        return blocks
    }

    static func matches(_ pattern: String, in text: String) throws -> [[String]] {
        try NSRegularExpression(pattern: pattern).matches(in: text, range: NSRange(text.startIndex..., in: text)).map { match in
            (0..<match.numberOfRanges).map { Range(match.range(at: $0), in: text).map { String(text[$0]) } ?? "" }
        }
    }

    /// The figures of a line, markers and code spans of commands left aside.
    static func figures(in line: String) throws -> [String] {
        let visible = try NSRegularExpression(pattern: markerPattern).stringByReplacingMatches(in: line, range: NSRange(line.startIndex..., in: line), withTemplate: "")
        return try matches(figurePattern, in: visible).map { $0[0] }
    }

    /// A duration in seconds, and how far its rounding may be from the truth.
    static func seconds(of figure: String) throws -> (value: Double, tolerance: Double)? {
        let numbers = try matches(#"(\d+(?:\.\d+)?) ?(h|hours?|min(?:utes)?|s)\b"#, in: figure)
        guard !numbers.isEmpty else { return nil }
        var total = 0.0, smallest = 3600.0
        for match in numbers {
            let unit = match[2].hasPrefix("h") ? 3600.0 : match[2].hasPrefix("m") ? 60.0 : 1.0
            let decimals = match[1].split(separator: ".").dropFirst().first?.count ?? 0
            total += (Double(match[1]) ?? 0) * unit
            smallest = min(smallest, unit / pow(10, Double(decimals)))
        }
        return (total, smallest / 2 + 1e-6)
    }

    /// The values a record holds: the accuracies of a run's epoch and baseline records (what a percentage may
    /// quote), with its elapsed seconds; or every number written in a Markdown record, with its text.
    static func recordValues(_ path: String) throws -> (numbers: [Double], seconds: [Double], text: String) {
        let url = repositoryRoot.appendingPathComponent(path)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else { throw RecordError("\(path) does not exist") }
        if isFolder.boolValue {
            let text = try String(contentsOf: url.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            var numbers = [Double](), seconds = [Double]()
            for line in text.split(separator: "\n") {
                guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
                for (key, value) in object {
                    guard let number = (value as? NSNumber)?.doubleValue else { continue }
                    if key == "elapsed_seconds" { seconds.append(number) }
                    if Self.accuracyKeyPrefixes.contains(where: key.hasPrefix) { numbers.append(number) }
                }
            }
            return (numbers, seconds, "")
        }
        let text = try String(contentsOf: url, encoding: .utf8)
        let numbers = try matches(#"\d+(?:\.\d+)?"#, in: text).compactMap { Double($0[0]) }
        return (numbers, [], text)
    }

    /// The keys of a run's records that hold accuracies in percent: the k-NN's, the linear probe's, the baselines'.
    static let accuracyKeyPrefixes = ["knn_", "linear_probe", "baseline_"]

    struct RecordError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Whether `figure` is among a record's values, as rounded as the figure is written.
    static func recorded(_ figure: String, in record: (numbers: [Double], seconds: [Double], text: String)) throws -> Bool {
        if figure.hasSuffix("%") {
            let number = figure.dropLast().trimmingCharacters(in: .whitespaces)
            guard let value = Double(number) else { return false }
            let decimals = number.split(separator: ".").dropFirst().first?.count ?? 0
            let scale = pow(10, Double(decimals))
            return record.numbers.contains { abs(($0 * scale).rounded() / scale - value) < 1e-9 }
        }
        if record.text.contains(figure) { return true }
        guard let (value, tolerance) = try seconds(of: figure) else { return false }
        // A Markdown record writes durations in minutes (a table's column) or as the page does.
        let candidates = record.text.isEmpty ? record.seconds : record.numbers.map { $0 * 60 }
        return candidates.contains { abs($0 - value) <= tolerance }
    }

    /// The printed output a chapter's page shows, `Chapters/NN-…/expected.txt`, for `book/NN-….md`.
    static func chapterExpectedOutput(forPage path: String) throws -> (numbers: [Double], seconds: [Double], text: String)? {
        let name = URL(fileURLWithPath: path).lastPathComponent
        guard path.hasPrefix("book/"), name.count > 3, name.prefix(2).allSatisfy(\.isNumber) else { return nil }
        let chapters = repositoryRoot.appendingPathComponent("Chapters")
        guard let folder = try FileManager.default.contentsOfDirectory(atPath: chapters.path).first(where: { $0.hasPrefix(name.prefix(3)) })
        else { return nil }
        return try recordValues("Chapters/\(folder)/expected.txt")
    }

    /// The command's output, or nil where Python 3 is missing.
    static func run(_ command: String) throws -> String? {
        let arguments = command.split(separator: " ").map(String.init)
        guard arguments.first == "python3", ["Benchmarks/study/study.py", "Benchmarks/race.py"].contains(arguments.dropFirst().first ?? "") else {
            throw RecordError("a table marker runs `python3 Benchmarks/study/study.py …` or `python3 Benchmarks/race.py …`, got `\(command)`")
        }
        let process = Process(), output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = repositoryRoot
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard let child = try? ChildProcess(starting: process) else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        guard try child.status(within: 120) == 0 else { throw RecordError("`\(command)` failed (status \(process.terminationStatus))") }
        return String(decoding: data, as: UTF8.self)
    }

    /// The problems of one page: figures with no marker, and markers whose record disagrees.
    static func problems(in path: String, requireMarkers: Bool) throws -> [String] {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
        let blocks = Self.blocks(text)
        var problems = [String]()
        var carried: [[String]] = []  // markers standing alone before a block
        var sectionSaysUnrecorded = false
        // A chapter's page: its printed output is the chapter's expected.txt.
        let chapterOutput = try chapterExpectedOutput(forPage: path)
        for (index, block) in blocks.enumerated() {
            if block.lines[0].hasPrefix("#") { sectionSaysUnrecorded = false }
            let own = try matches(markerPattern, in: block.text)
            let visible = block.lines.filter { !$0.hasPrefix("<!--") || !$0.hasSuffix("-->") }
            if visible.isEmpty { carried += own; continue }
            let markers = own + carried
            carried = []
            for marker in markers where marker[1] == "table" {
                guard let output = try run(marker[2]) else { continue }
                let expected = output.components(separatedBy: "\n").filter { $0.hasPrefix("|") }
                let table = block.lines.filter { $0.hasPrefix("|") }
                if table != expected { problems.append("\(path): the table after `\(marker[2])` is not its output") }
            }
            var sources = [(numbers: [Double], seconds: [Double], text: String)]()
            for marker in markers where marker[1] == "from" {
                for record in marker[2].split(separator: ",") {
                    do { sources.append(try recordValues(record.trimmingCharacters(in: .whitespaces))) } catch { problems.append("\(path): \(error)") }
                }
            }
            // What the reader sees says so, not the marker itself.
            let seen = try NSRegularExpression(pattern: markerPattern).stringByReplacingMatches(
                in: visible.joined(separator: " "), range: NSRange(visible.joined(separator: " ").startIndex..., in: visible.joined(separator: " ")), withTemplate: "")
            if seen.range(of: "unrecorded", options: .caseInsensitive) != nil { sectionSaysUnrecorded = true }
            let unrecorded = markers.contains { $0[1] == "unrecorded" }
            if unrecorded && !sectionSaysUnrecorded {
                problems.append("\(path): a block marked unrecorded in a section that does not say so: \(block.lines[0].prefix(80))")
            }
            if block.lines[0].hasPrefix("```swift") { continue }
            if let chapterOutput, block.lines[0].hasPrefix("```text"), index > 0, blocks[index - 1].text == "Output:" {
                sources.append(chapterOutput)
            }
            guard requireMarkers else { continue }
            let tabled = markers.contains { $0[1] == "table" }
            for line in visible {
                for figure in try figures(in: line) {
                    if unrecorded || (tabled && line.hasPrefix("|")) { continue }
                    if !sources.isEmpty {
                        if try !sources.contains(where: { try recorded(figure, in: $0) }) {
                            problems.append("\(path): \(figure) is not in its record (\(markers.filter { $0[1] == "from" }.map { $0[2] }.joined(separator: "; "))): \(line.prefix(100))")
                        }
                        continue
                    }
                    if allowed.contains(where: { line.contains($0.line) }) { continue }
                    problems.append("\(path): \(figure) has no record marker: \(line.trimmingCharacters(in: .whitespaces).prefix(110))")
                }
            }
        }
        return problems
    }

    @Test func everyFigureComesFromItsRecord() throws {
        var problems = [String]()
        for page in Self.pages { problems += try Self.problems(in: page, requireMarkers: true) }
        for record in Self.records where FileManager.default.fileExists(atPath: repositoryRoot.appendingPathComponent(record).path) {
            problems += try Self.problems(in: record, requireMarkers: false)
        }
        #expect(problems.isEmpty, "\(problems.count) figures without their record:\n\(problems.joined(separator: "\n"))")
    }

    /// Negative controls: an unmarked figure, a figure its record does not hold (or holds as no accuracy), a table that is not
    /// its command's output, and an unrecorded block that does not say so, each caught.
    @Test func theCheckCatchesWhatItShould() throws {
        let scratch = "Tests/BookTests/.figure-check-\(UUID().uuidString).md"
        let url = repositoryRoot.appendingPathComponent(scratch)
        defer { try? FileManager.default.removeItem(at: url) }
        func check(_ text: String) throws -> [String] {
            try Data(text.utf8).write(to: url)
            return try Self.problems(in: scratch, requireMarkers: true)
        }
        #expect(try check("The run ended at 66.50% k-NN.\n").count == 1)
        #expect(try check("The run ended at 66.50% k-NN <!-- from: Benchmarks/results/runs/quick-2026-12-06 -->, after 8 min 5 s.\n").isEmpty)
        #expect(try check("The run ended at 66.60% k-NN <!-- from: Benchmarks/results/runs/quick-2026-12-06 -->.\n").count == 1)
        // A number the run holds that is no accuracy (its first epoch's images a second) is not a percentage of it.
        #expect(try check("The run ended at 198.70% <!-- from: Benchmarks/results/runs/quick-2026-12-06 -->.\n").count == 1)
        #expect(try check("It took 9 min 5 s <!-- from: Benchmarks/results/runs/quick-2026-12-06 -->.\n").count == 1)
        #expect(try check("Some figure, 60.2% <!-- unrecorded: lost -->.\n").count == 1)
        #expect(try check("Some figure, 60.2% (unrecorded) <!-- unrecorded: lost -->.\n").isEmpty)
        if try Self.run("python3 Benchmarks/study/study.py curve Benchmarks/results/runs/quick-2026-12-06") != nil {
            let table = "<!-- table: python3 Benchmarks/study/study.py curve Benchmarks/results/runs/quick-2026-12-06 -->\n"
                + "| epoch | steps | minutes | k-NN top-1 (%) | linear probe (%) | h(P_t) | KL |\n|---|---|---|---|---|---|---|\n"
                + "| 1 | 700 | 2.1 | 60.60 | — | 4.921 | 0.782 |\n"
            #expect(try check(table).count == 1, "a table missing three of its rows")
        }
    }
}
