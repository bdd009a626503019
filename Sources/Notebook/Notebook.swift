import Foundation

/// Where a chapter step writes what the reader should see. It collects the lines (for the chapter
/// test and the book) and, when running in a terminal, echoes them as they come.
public final class Notebook: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    private let echo: Bool

    /// A notebook that echoes every line to standard output when `echo` is set.
    public init(echo: Bool) { self.echo = echo }

    /// Writes the items separated by spaces, then a newline, like `Swift.print`.
    public func print(_ items: Any..., separator: String = " ") {
        let line = items.map { "\($0)" }.joined(separator: separator) + "\n"
        lock.withLock { text += line }
        if echo {
            // A closed pipe or a full device ends the chapter with a message, not a signal.
            _ = Self.brokenPipeIgnored
            do { try FileHandle.standardOutput.write(contentsOf: Data(line.utf8)) } catch {
                try? FileHandle.standardError.write(contentsOf: Data("error: standard output cannot be written (\((error as NSError).localizedDescription))\n".utf8))
                exit(1)
            }
        }
    }

    /// SIGPIPE ignored, once per process: a write to a closed pipe fails instead of killing the process.
    static let brokenPipeIgnored: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Everything written so far.
    public var output: String { lock.withLock { text } }

    private var drawn = [Figure]()

    /// Records a figure and prints the line `figure: NAME — caption`, which is where the book shows it.
    public func figure(_ name: String, caption: String, svg: String) {
        lock.withLock { drawn.append(Figure(name: name, caption: caption, svg: svg)) }
        print("figure: \(name) — \(caption)")
    }

    /// The figures drawn so far, in order.
    public var figures: [Figure] { lock.withLock { drawn } }
}

/// One step of a chapter: a title for the reader and the function that shows it.
public struct Step: Sendable {
    /// What the step shows, as a heading of its output.
    public let title: String
    /// The function that runs the step and writes its output.
    public let run: @Sendable (Notebook) throws -> Void

    /// A step titled `title` that runs `run`.
    public init(_ title: String, _ run: @escaping @Sendable (Notebook) throws -> Void) {
        self.title = title
        self.run = run
    }
}

/// A chapter: its steps, run in reading order. Each step's output starts with a marker line
/// `── k. Title ──`, which is how `weave` places every output under the code that printed it.
public struct Chapter: Sendable {
    /// The chapter's number, as in `Chapters/NN-Name`.
    public let number: Int
    /// The chapter's title.
    public let title: String
    /// The steps, in the order they are defined in `main.swift`.
    public let steps: [Step]

    /// A chapter made of `steps`.
    public init(number: Int, title: String, steps: [Step]) {
        self.number = number
        self.title = title
        self.steps = steps
    }

    /// The marker line that opens the output of step `index` (counted from 1).
    public static func marker(_ index: Int, _ title: String) -> String { "── \(index). \(title) ──" }

    /// Runs every step and returns the whole output; echoes it to standard output when `echo` is set.
    @discardableResult
    public func run(echo: Bool = false) -> String { runNotebook(echo: echo).output }

    /// Runs every step and returns the notebook: its output and its figures.
    public func runNotebook(echo: Bool = false) -> Notebook {
        let notebook = Notebook(echo: echo)
        for (index, step) in steps.enumerated() {
            if index > 0 { notebook.print("") }
            notebook.print(Self.marker(index + 1, step.title))
            do { try step.run(notebook) } catch {
                // Shown in the output, so the chapter test fails and says why.
                notebook.print("error: \(error)")
            }
        }
        return notebook
    }

    /// What `swift run chNN-name` does: runs the chapter, printing as it goes, then writes its figures
    /// into `figures/` (or the folder after `--figures`). Exits 64 on an unknown argument and 1 when a
    /// figure cannot be written.
    public func main(arguments: [String] = Array(CommandLine.arguments.dropFirst())) {
        var folder = "figures"
        switch arguments.count {
        case 0: break
        case 2 where arguments[0] == "--figures": folder = arguments[1]
        default:
            Chapter.fail("unknown arguments \(arguments.joined(separator: " ")); expected none, or --figures FOLDER", status: 64)
        }
        let notebook = runNotebook(echo: true)
        do {
            try Chapter.write(notebook.figures, to: URL(fileURLWithPath: folder))
        } catch {
            Chapter.fail("the figures cannot be written to \(folder)/ (\((error as NSError).localizedDescription))", status: 1)
        }
    }

    /// Writes each figure to `folder/NAME` (each atomically), saying so on standard error so that
    /// standard output stays the chapter's text.
    public static func write(_ figures: [Figure], to folder: URL) throws {
        guard !figures.isEmpty else { return }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for figure in figures {
            let url = folder.appendingPathComponent(figure.name)
            try Data(figure.svg.utf8).write(to: url, options: .atomic)
            try? FileHandle.standardError.write(contentsOf: Data("wrote \(url.path)\n".utf8))
        }
    }

    /// Prints `error: message` on standard error and exits with `status`.
    static func fail(_ message: String, status: Int32) -> Never {
        try? FileHandle.standardError.write(contentsOf: Data("error: \(message)\n".utf8))
        exit(status)
    }
}

/// `value` with `decimals` places, for output that must be the same on every machine.
public func fixed(_ value: Float, _ decimals: Int = 4) -> String {
    let text = String(format: "%.\(decimals)f", value)
    // "-0.0000" and "0.0000" are the same number; print it one way.
    return text.allSatisfy { "-0.".contains($0) } ? String(text.drop { $0 == "-" }) : text
}

/// The values with `decimals` places, separated by spaces.
public func fixed(_ values: some Sequence<Float>, _ decimals: Int = 4) -> String {
    values.map { fixed($0, decimals) }.joined(separator: "  ")
}
