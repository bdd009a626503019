import ArgumentParser
import Foundation
import WeaveKit

/// `swift run weave`: writes `book/` from `Chapters/` and the quoted library code.
@main
struct Weave: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate the book (book/*.md) from the literate chapters, and the book's website.",
        discussion: """
            Run from the repository root. With --check, writes nothing and fails when book/ is stale. With --html, \
            also builds the website into site/ (open site/index.html; it works offline, from file://).
            """)

    @Option(help: "The repository root.")
    var root: String = FileManager.default.currentDirectoryPath

    @Flag(help: "Only check that book/ is up to date; exit 1 when it is not.")
    var check = false

    @Flag(help: "Also build the book as a static website (needs libjs-katex and libjs-highlight.js).")
    var html = false

    @Option(help: "The folder the website is written to (emptied first).")
    var output = "site"

    func run() throws {
        let weaver = Weaver(root: URL(fileURLWithPath: root))
        var stale = [String]()
        for page in try weaver.pages() {
            let url = URL(fileURLWithPath: root).appendingPathComponent(page.path)
            let current = try? String(contentsOf: url, encoding: .utf8)
            guard current != page.text else { continue }
            stale.append(page.path)
            if !check {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try page.text.write(to: url, atomically: true, encoding: .utf8)
                print("wrote \(page.path)")
            }
        }
        let figureProblems = try weaver.figureProblems()
        for problem in figureProblems { print(problem) }
        if check, !stale.isEmpty {
            print("stale: \(stale.joined(separator: ", ")); run `swift run weave`")
            throw ExitCode.failure
        }
        if !figureProblems.isEmpty {
            print("the figures are stale: run `Tools/regenerate-book.sh`")
            throw ExitCode.failure
        }
        if stale.isEmpty { print("book/ is up to date") }
        if html {
            let folder = URL(fileURLWithPath: output, relativeTo: URL(fileURLWithPath: root + "/")).standardizedFileURL
            let report = try Site(root: URL(fileURLWithPath: root)).build(into: folder)
            print("wrote \(folder.path)/index.html: \(report.pages.count) pages, \(report.equations) equations, "
                  + "\(report.figures) figures, \(report.internalLinks) links between pages")
        }
    }
}
