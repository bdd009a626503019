import Foundation
import Notebook
import Testing

@testable import Ch00Tensors

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Each chapter's output at its fixed seeds must equal its `expected.txt`, which is what the book shows.
/// After an intended change: `swift run chNN-name > Chapters/NN-Name/expected.txt`, then `swift run weave`.
func checkChapter(_ chapter: Chapter, folder: String) throws {
    let expected = try String(contentsOf: repositoryRoot.appendingPathComponent("Chapters/\(folder)/expected.txt"), encoding: .utf8)
    let actual = chapter.run()
    if actual != expected {
        let actualLines = actual.components(separatedBy: "\n"), expectedLines = expected.components(separatedBy: "\n")
        let first = zip(actualLines, expectedLines).enumerated().first { $0.element.0 != $0.element.1 }
        Issue.record("""
            Chapters/\(folder) output differs from expected.txt\
            \(first.map { " at line \($0.offset + 1):\n  got:      \($0.element.0)\n  expected: \($0.element.1)" } ?? " in length")
            """)
    }
}

@Suite struct ChapterTests {
    @Test func chapter00Tensors() throws { try checkChapter(Ch00Tensors.chapter(), folder: "00-Tensors") }
}
