import Foundation
import Notebook
import Testing

@testable import Ch00Tensors
@testable import Ch01PatchEmbedding
@testable import Ch02Attention
@testable import Ch03ViT
@testable import Ch04DINOHead
@testable import Ch05Centering
@testable import Ch06Loss
@testable import Ch07Teacher
@testable import Ch08Schedules
@testable import Ch09Trainer

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
    @Test func chapter01PatchEmbedding() throws { try checkChapter(Ch01PatchEmbedding.chapter(), folder: "01-PatchEmbedding") }
    @Test func chapter02Attention() throws { try checkChapter(Ch02Attention.chapter(), folder: "02-Attention") }
    @Test func chapter03ViT() throws { try checkChapter(Ch03ViT.chapter(), folder: "03-ViT") }
    @Test func chapter04DINOHead() throws { try checkChapter(Ch04DINOHead.chapter(), folder: "04-DINOHead") }
    @Test func chapter05Centering() throws { try checkChapter(Ch05Centering.chapter(), folder: "05-Centering") }
    @Test func chapter06Loss() throws { try checkChapter(Ch06Loss.chapter(), folder: "06-Loss") }
    @Test func chapter07Teacher() throws { try checkChapter(Ch07Teacher.chapter(), folder: "07-Teacher") }
    @Test func chapter08Schedules() throws { try checkChapter(Ch08Schedules.chapter(), folder: "08-Schedules") }
    @Test func chapter09Trainer() throws { try checkChapter(Ch09Trainer.chapter(), folder: "09-Trainer") }
}
