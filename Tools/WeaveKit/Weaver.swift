import Foundation

/// Turns the literate chapters into the book: `Chapters/NN-Name/main.swift` → `book/NN-name.md`.
///
/// A chapter file alternates prose in `/*: … */` blocks with code. In the book the prose becomes
/// Markdown, the code becomes Swift listings, a line `@snippet(NAME)` in the prose becomes the library
/// code between `// snippet.NAME` and `// snippet.end` (so the book quotes the real code), and each step
/// function `func name(_ out: Notebook)` is followed by the output it printed, read from the chapter's
/// `expected.txt` (split at the `── k. Title ──` marker lines that `Chapter.run` prints).
public struct Weaver: Sendable {
    /// The repository's root folder.
    public let root: URL

    /// A weaver for the repository at `root`.
    public init(root: URL) { self.root = root }

    /// The chapter folders under `Chapters/`, in order.
    public func chapterFolders() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Chapters").path)
            .filter { $0.first?.isNumber == true }
            .sorted()
    }

    /// Every page of the book: its path relative to the root, and its text.
    public func pages() throws -> [(path: String, text: String)] {
        let folders = try chapterFolders()
        var pages = [(path: String, text: String)]()
        var entries = [(file: String, title: String, run: String, time: String)]()
        for folder in folders {
            let page = try weave(chapterFolder: folder)
            let file = Self.pageName(folder)
            pages.append(("book/" + file, page.text))
            let source = (try? String(contentsOf: root.appendingPathComponent("Chapters/\(folder)/main.swift"), encoding: .utf8)) ?? ""
            entries.append((file, page.title, Self.runCommand(source, folder: folder), Self.timeEstimate(source) ?? ""))
        }
        pages.append(("book/README.md", tableOfContents(entries)))
        return pages
    }

    /// `00-Tensors` → `00-tensors.md`; `01-PatchEmbedding` → `01-patch-embedding.md`.
    public static func pageName(_ folder: String) -> String { kebab(folder) + ".md" }

    /// `01-PatchEmbedding` → `ch01-patch-embedding`, the product that `swift run` takes.
    public static func productName(_ folder: String) -> String { "ch" + kebab(folder) }

    /// A capital that starts a word (followed by a lower-case letter) gets a dash before it, so
    /// `PatchEmbedding` → `patch-embedding`, `DINOHead` → `dino-head`, `ViT` → `vit`.
    static func kebab(_ folder: String) -> String {
        let characters = Array(folder)
        var result = ""
        for (index, character) in characters.enumerated() {
            let startsWord = character.isUppercase && index + 1 < characters.count && characters[index + 1].isLowercase
            if startsWord, let last = result.last, last != "-" { result.append("-") }
            result.append(contentsOf: character.lowercased())
        }
        return result
    }

    /// The Markdown page of one chapter and its title (the first `#` heading of its prose).
    public func weave(chapterFolder folder: String) throws -> (title: String, text: String) {
        let chapterURL = root.appendingPathComponent("Chapters").appendingPathComponent(folder)
        let sourceURL = chapterURL.appendingPathComponent("main.swift")
        guard let source = try? String(contentsOf: sourceURL, encoding: .utf8) else {
            throw WeaveError("cannot read \(sourceURL.path)")
        }
        let expectedURL = chapterURL.appendingPathComponent("expected.txt")
        guard let expected = try? String(contentsOf: expectedURL, encoding: .utf8) else {
            throw WeaveError("cannot read \(expectedURL.path): run `swift run \(Self.productName(folder)) > Chapters/\(folder)/expected.txt`")
        }
        var outputs = Self.outputSections(expected)
        let segments = Self.segments(source)
        let stepCount = segments.reduce(0) { $0 + (Self.stepFunctions(in: $1.text).count) * ($1.isProse ? 0 : 1) }
        guard stepCount == outputs.count else {
            throw WeaveError("Chapters/\(folder): \(stepCount) step functions but \(outputs.count) output sections in expected.txt")
        }
        var markdown = [String]()
        var title = folder
        for segment in segments {
            if segment.isProse {
                let prose = try expandSnippets(segment.text)
                if title == folder, let heading = prose.split(separator: "\n").first(where: { $0.hasPrefix("# ") }) {
                    title = String(heading.dropFirst(2))
                    // The time it takes, under the title, so a student can plan a sitting.
                    if let time = Self.timeEstimate(source) {
                        markdown.append(prose.replacingOccurrences(of: String(heading), with: heading + "\n\n*Time: about \(time).*"))
                        continue
                    }
                }
                markdown.append(prose)
            } else {
                markdown.append("```swift\n" + segment.text + "\n```")
                for _ in Self.stepFunctions(in: segment.text) {
                    let output = outputs.removeFirst()
                    markdown.append("Output:\n\n```text\n" + output + "\n```")
                    for figure in Self.figures(in: output) {
                        markdown.append("![\(figure.caption)](figures/\(figure.name))")
                    }
                }
            }
        }
        let footer = "---\n\n*Generated by `swift run weave` from `Chapters/\(folder)/main.swift`; run it yourself with `\(Self.runCommand(source, folder: folder))`.*"
        return (title, markdown.joined(separator: "\n\n") + "\n\n" + footer + "\n")
    }

    /// The command that runs a chapter: `swift run <product>`, or what a `// weave: run …` line says.
    static func runCommand(_ source: String, folder: String) -> String {
        let marker = "// weave: run "
        let line = source.components(separatedBy: "\n").first { $0.hasPrefix(marker) }
        return line.map { String($0.dropFirst(marker.count)) } ?? "swift run \(productName(folder))"
    }

    /// How long the chapter takes a student, from its `// weave: time …` line: `40 min (20 reading and running, 20 exercises)`.
    static func timeEstimate(_ source: String) -> String? {
        let marker = "// weave: time "
        return source.components(separatedBy: "\n").first { $0.hasPrefix(marker) }.map { String($0.dropFirst(marker.count)) }
    }

    /// The text between the marker lines, one section per step, trimmed of blank edges.
    static func outputSections(_ expected: String) -> [String] {
        var sections = [[String]]()
        for line in expected.components(separatedBy: "\n") {
            if line.hasPrefix("── "), line.hasSuffix(" ──") {
                sections.append([])
            } else if !sections.isEmpty {
                sections[sections.count - 1].append(line)
            }
        }
        return sections.map { trimBlankLines($0).joined(separator: "\n") }
    }

    /// The figures an output announces, one `figure: NAME — caption` line each; the book shows them
    /// under the output, from `book/figures/`.
    public static func figures(in output: String) -> [(name: String, caption: String)] {
        output.components(separatedBy: "\n").compactMap { line in
            guard line.hasPrefix("figure: "), let dash = line.range(of: " — ") else { return nil }
            return (String(line[line.index(line.startIndex, offsetBy: 8)..<dash.lowerBound]), String(line[dash.upperBound...]))
        }
    }

    /// Every figure the chapters' outputs announce, by name, which must each be in `book/figures/`.
    public func announcedFigures() throws -> [String] {
        try chapterFolders().flatMap { folder in
            let expected = try String(contentsOf: root.appendingPathComponent("Chapters/\(folder)/expected.txt"), encoding: .utf8)
            return Self.figures(in: expected).map(\.name)
        }
    }

    /// Problems with `book/figures/`: a figure announced but missing, or a file no chapter draws. Figures
    /// of real runs, copied from a run's folder, live in `book/figures/runs/` and are not checked here
    /// (the browser check loads every image the pages show).
    public func figureProblems() throws -> [String] {
        let announced = try announcedFigures()
        let folder = root.appendingPathComponent("book/figures")
        let present = Set((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".svg") }
        return announced.filter { !present.contains($0) }.map { "book/figures/\($0) is missing" }
            + present.subtracting(announced).sorted().map { "book/figures/\($0) is drawn by no chapter" }
    }

    /// The names of the step functions, `func name(_ out: Notebook)`, defined at the top level of `code`.
    static func stepFunctions(in code: String) -> [String] {
        code.components(separatedBy: "\n").compactMap { line in
            guard line.hasPrefix("func "), line.contains("(_ out: Notebook)") else { return nil }
            return String(line.dropFirst(5).prefix { $0 != "(" })
        }
    }

    /// The file cut into prose blocks and code between them, in order.
    static func segments(_ source: String) -> [(isProse: Bool, text: String)] {
        var segments = [(isProse: Bool, text: String)]()
        var current = [String]()
        var inProse = false
        func flush() {
            let lines = inProse ? dedent(current) : trimBlankLines(current)
            let text = trimBlankLines(lines).joined(separator: "\n")
            if !text.isEmpty { segments.append((inProse, text)) }
            current = []
        }
        for line in source.components(separatedBy: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if !inProse, trimmed.hasPrefix("/*:") {
                flush()
                inProse = true
                let rest = String(trimmed.dropFirst(3))
                if !rest.trimmingCharacters(in: .whitespaces).isEmpty { current.append(rest) }
            } else if inProse, trimmed == "*/" {
                flush()
                inProse = false
            } else if !trimmed.hasPrefix("// weave:") {  // directives for the weaver, not for the reader
                current.append(line)
            }
        }
        flush()
        return segments
    }

    /// Replaces every `@snippet(NAME)` line with the library code it names, as a captioned listing.
    func expandSnippets(_ prose: String) throws -> String {
        var lines = [String]()
        for line in prose.components(separatedBy: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("@snippet("), trimmed.hasSuffix(")") else {
                lines.append(line)
                continue
            }
            let name = String(trimmed.dropFirst("@snippet(".count).dropLast())
            let (file, code) = try snippet(named: name)
            lines.append("```swift\n// \(file)\n\(code)\n```")
        }
        return lines.joined(separator: "\n")
    }

    /// The lines between `// snippet.NAME` and `// snippet.end` in the Swift sources, and their file.
    public func snippet(named name: String) throws -> (file: String, code: String) {
        let sources = root.appendingPathComponent("Sources")
        guard let files = FileManager.default.enumerator(atPath: sources.path) else {
            throw WeaveError("cannot list \(sources.path)")
        }
        var found: (String, String)?
        for case let relative as String in files where relative.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(relative), encoding: .utf8)
            var collecting = false
            var lines = [String]()
            for line in text.components(separatedBy: "\n") {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed == "// snippet.\(name)" {
                    if found != nil || collecting { throw WeaveError("snippet \(name) is defined twice (again in Sources/\(relative))") }
                    collecting = true
                } else if collecting, trimmed == "// snippet.end" {
                    collecting = false
                    found = ("Sources/" + relative, dedent(trimBlankLines(lines)).joined(separator: "\n"))
                } else if collecting, !trimmed.hasPrefix("// snippet.") {
                    lines.append(line)
                }
            }
            if collecting { throw WeaveError("snippet \(name) in Sources/\(relative) has no `// snippet.end`") }
        }
        guard let found else { throw WeaveError("no `// snippet.\(name)` in Sources/ (quoted by @snippet(\(name)))") }
        return found
    }

    /// `book/README.md`: what the book is and its chapters, each with the command that runs it.
    func tableOfContents(_ entries: [(file: String, title: String, run: String, time: String)]) -> String {
        var lines = [
            "# DINO in Swift: the book",
            "",
            "DINO (self-distillation with no labels, Caron et al. 2021) built one piece at a time, in Swift, on the CPU.",
            "Every chapter is a program: run it, read its page, then do its exercises.",
            "",
            "| Chapter | Run it | Time |",
            "|---|---|---|",
        ]
        for entry in entries {
            lines.append("| [\(entry.title)](\(entry.file)) | `\(entry.run)` | \(entry.time) |")
        }
        lines += [
            "",
            "Appendices, written by hand:",
            "",
            "- [Glossary](glossary.md): every symbol and term, with the chapter that builds it.",
            "- [The paper, chapter by chapter](paper-map.md): each section and equation of Caron et al. (2021), where it is built and which test checks it.",
            "- [The exercises, discussed](exercise-solutions.md): each solution, and the wrong answers its test catches.",
            "- [Where the time goes](appendix-performance.md): the fast path and its measured speed (`swift run -c release step-benchmark`).",
            "",
            "Read it as a website, offline: `Tools/install-deps.sh --book && swift run weave --html`, then open `site/index.html`.",
            "",
            "The pages are generated from `Chapters/*/main.swift` by `swift run weave`; a test fails when they are stale.",
            "Exercises: `DINO_EXERCISES=stubs swift test --filter ExerciseNN` checks your work on chapter NN.",
            "",
            "Where the code lives, layer by layer, each linking only what it uses:",
            "",
            "| Layer | Folder | Chapters | Links |",
            "|---|---|---|---|",
            "| `DINO` | `Sources/DINO/NN-Name/` (the reference path the pages quote) and `Sources/DINO/Fast/` (the fast path, proven equal) | 00–08 | a BLAS: OpenBLAS, or Accelerate on a Mac |",
            "| `DINOTraining` | `Sources/DINOTraining/` in rooms: `Configuration/ Data/ Augmentation/ Evaluation/ Persistence/ Run/ Trainer/` | 09 | zlib, libpng, libjpeg |",
            "| `DINODistributed` | `Sources/DINODistributed/` | 10 | Open MPI, only with the package's `MPI` trait (on by default; `--disable-default-traits` builds without it) |",
            "| `DINOSupport` | `Sources/DINOSupport/` | all | errors, atomic writes, safetensors, CRC-32C: what every layer uses |",
            "",
        ]
        return lines.joined(separator: "\n")
    }
}

/// Removes the indentation that all non-blank lines share.
func dedent(_ lines: [String]) -> [String] {
    let indents = lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { $0.prefix { $0 == " " }.count }
    let common = indents.min() ?? 0
    return lines.map { $0.count >= common ? String($0.dropFirst(common)) : $0.trimmingCharacters(in: .whitespaces) }
}

/// Drops blank lines at both ends.
func trimBlankLines(_ lines: [String]) -> [String] {
    var slice = lines[...]
    while let first = slice.first, first.trimmingCharacters(in: .whitespaces).isEmpty { slice = slice.dropFirst() }
    while let last = slice.last, last.trimmingCharacters(in: .whitespaces).isEmpty { slice = slice.dropLast() }
    return Array(slice)
}

/// A chapter that cannot be woven, with the file and the reason.
public struct WeaveError: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String
    init(_ description: String) { self.description = description }
}
