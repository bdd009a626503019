import DINO
import DINODistributed
import Figures
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
@testable import Ch10DataParallel

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Each chapter's output at its fixed seeds must equal its `expected.txt`, which is what the book shows,
/// except that a printed number may differ by one unit in its last printed digit: the last bits of `exp`
/// and `erf` may differ between C libraries and CPUs, and a number near a rounding boundary may then
/// print one digit off. Words, shapes and the count of numbers must match exactly. Demonstrations that
/// amplify rounding (chapter 05's collapse runs) print coarse numbers for that reason.
/// Each figure it draws must agree with its copy in `book/figures/` (`figureDifference`: the same drawing,
/// every number within 3 px or 3 colour levels).
/// After an intended change: `Tools/regenerate-book.sh NN`.
func checkChapter(_ chapter: Chapter, folder: String) throws {
    let expected = try String(contentsOf: repositoryRoot.appendingPathComponent("Chapters/\(folder)/expected.txt"), encoding: .utf8)
    let notebook = chapter.runNotebook()
    for figure in notebook.figures {
        let path = "book/figures/\(figure.name)"
        guard let committed = try? String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8) else {
            Issue.record("\(path) is missing: run `Tools/regenerate-book.sh \(folder.prefix(2))`")
            continue
        }
        if let difference = figureDifference(figure.svg, committed) {
            Issue.record("\(path) is stale (\(difference)): run `Tools/regenerate-book.sh \(folder.prefix(2))`")
        }
    }
    let actualLines = notebook.output.components(separatedBy: "\n"), expectedLines = expected.components(separatedBy: "\n")
    let first = zip(actualLines, expectedLines).enumerated().first { !linesAgree($0.element.0, $0.element.1) }
    if let first {
        Issue.record("""
            Chapters/\(folder) output differs from expected.txt at line \(first.offset + 1):
              got:      \(first.element.0)
              expected: \(first.element.1)
            """)
    } else if actualLines.count != expectedLines.count {
        Issue.record("Chapters/\(folder) output has \(actualLines.count) lines, expected.txt \(expectedLines.count)")
    }
}

/// Whether two output lines agree: the same words and integers, and numbers printed with the same digits
/// after the point that differ by at most one unit in the last of them.
func linesAgree(_ actual: String, _ expected: String) -> Bool {
    if actual == expected { return true }
    let (a, e) = (actual.split(separator: " ", omittingEmptySubsequences: true), expected.split(separator: " ", omittingEmptySubsequences: true))
    guard a.count == e.count else { return false }
    return zip(a, e).allSatisfy { actualWord, expectedWord in
        if actualWord == expectedWord { return true }
        let decimals = expectedWord.split(separator: ".").dropFirst().first?.count ?? 0
        guard decimals > 0, let x = Double(actualWord), let y = Double(expectedWord),
              decimals == (actualWord.split(separator: ".").dropFirst().first?.count ?? 0) else { return false }
        return abs(x - y) <= 1.01 * pow(10, -Double(decimals))
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
    @Test func chapter09Trainer() throws {
        // The walkthrough's default: the trainer's path.
        try ComputeSettings.$current.withValue(ComputeSettings.current.with(path: .fast)) { try checkChapter(Ch09Trainer.chapter(), folder: "09-Trainer") }
    }
    @Test(.enabled(if: Communicator.isAvailable, "built without the MPI trait: chapter 10's output needs Open MPI"))
    func chapter10DataParallel() throws { try checkChapter(Ch10DataParallel.chapter(), folder: "10-DataParallel") }
}

/// The comparison the chapter tests use, by hand.
@Suite struct OutputComparisonTests {
    @Test func numbersMayDifferInTheirLastDigitOnly() {
        #expect(linesAgree("loss 0.321 at step 3", "loss 0.322 at step 3"))
        #expect(linesAgree("h = 2.1", "h = 2.0"))
        // Negative controls: two units off, another word, another number of digits, a missing number.
        #expect(!linesAgree("loss 0.320 at step 3", "loss 0.322 at step 3"))
        #expect(!linesAgree("loss 0.321 at step 4", "loss 0.321 at step 3"))
        #expect(!linesAgree("loss 0.32 at step 3", "loss 0.321 at step 3"))
        #expect(!linesAgree("loss at step 3", "loss 0.321 at step 3"))
    }
}
