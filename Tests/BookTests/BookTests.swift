import Foundation
import Testing
@testable import WeaveKit

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite struct BookTests {
    @Test func bookIsUpToDate() throws {
        for page in try Weaver(root: repositoryRoot).pages() {
            let onDisk = try? String(contentsOf: repositoryRoot.appendingPathComponent(page.path), encoding: .utf8)
            #expect(onDisk == page.text, "\(page.path) is stale: run `swift run weave`")
        }
    }

    @Test func proseCodeAndOutputsInterleave() throws {
        let source = """
            /*:
             # Title
             Some prose.
             */
            import DINO
            func first(_ out: Notebook) {
                out.print("a")
            }
            /*:
             More.
             */
            func second(_ out: Notebook) {}
            """
        let segments = Weaver.segments(source)
        #expect(segments.map(\.isProse) == [true, false, true, false])
        #expect(segments[0].text == "# Title\nSome prose.")
        #expect(Weaver.stepFunctions(in: segments[1].text) == ["first"])
        let outputs = Weaver.outputSections("── 1. First ──\na\n\n── 2. Second ──\nb\nc\n")
        #expect(outputs == ["a", "b\nc"])
    }

    @Test func snippetsQuoteTheLibrary() throws {
        let (file, code) = try Weaver(root: repositoryRoot).snippet(named: "matmul")
        #expect(file == "Sources/DINO/00-Tensors/MatrixProduct.swift")
        #expect(code.contains("public func matmul"))
        #expect(!code.contains("snippet."))
        #expect(throws: WeaveError.self) { try Weaver(root: repositoryRoot).snippet(named: "no-such-snippet") }
    }

    @Test func chaptersZeroToEightShowNoSpeedCode() throws {
        // The reference path is what students read: no pointers, threads, SIMD lanes or C kernels.
        let speedMarkers = ["Unsafe", "SendablePointer", "Parallel.", "WorkerPool", "withBase", "FloatLanes", "dino_", "cblas_"]
        let pages = try Weaver(root: repositoryRoot).pages().filter { $0.path.range(of: #"book/0[0-8]-"#, options: .regularExpression) != nil }
        #expect(pages.count == 9)
        for page in pages {
            let code = page.text.components(separatedBy: "```").enumerated().filter { $0.offset % 2 == 1 }.map(\.element).joined()
            for marker in speedMarkers { #expect(!code.contains(marker), "\(page.path) quotes code with \(marker)") }
        }
        // Negative control: the fast path's own file has them.
        let fast = try String(contentsOf: repositoryRoot.appendingPathComponent("Sources/DINO/Fast/Attention+Fast.swift"), encoding: .utf8)
        #expect(speedMarkers.contains { fast.contains($0) })
    }

    @Test func exercisesNameTheirStubs() throws {
        // Each chapter's exercise names a function and a stub file: the file exists and declares it.
        let folders = try Weaver(root: repositoryRoot).chapterFolders()
        var checked = 0, chaptersWithExercises = 0
        for folder in folders {
            let before = checked
            let source = try String(contentsOf: repositoryRoot.appendingPathComponent("Chapters/\(folder)/main.swift"), encoding: .utf8)
            let pattern = #"Write `([A-Za-z0-9]+)\(([^`]*)\)`[^`]*`(Exercises/Stubs/[^`]+\.swift)`"#
            for match in source.matches(of: try Regex(pattern)) {
                guard let name = match.output[1].substring, let file = match.output[3].substring else { continue }
                let stub = try String(contentsOf: repositoryRoot.appendingPathComponent(String(file)), encoding: .utf8)
                #expect(stub.contains("public func \(name)("), "Chapters/\(folder) asks for \(name) in \(file), which does not declare it")
                checked += 1
            }
            if checked > before { chaptersWithExercises += 1 }
        }
        #expect(chaptersWithExercises == folders.count, "found exercises in \(chaptersWithExercises) of \(folders.count) chapters")
    }

    @Test func namesFollowTheFolders() {
        #expect(Weaver.pageName("01-PatchEmbedding") == "01-patch-embedding.md")
        #expect(Weaver.productName("00-Tensors") == "ch00-tensors")
        #expect(Weaver.productName("03-ViT") == "ch03-vit")
        #expect(Weaver.productName("04-DINOHead") == "ch04-dino-head")
    }
}
