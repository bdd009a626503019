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

    @Test func namesFollowTheFolders() {
        #expect(Weaver.pageName("01-PatchEmbedding") == "01-patch-embedding.md")
        #expect(Weaver.productName("00-Tensors") == "ch00-tensors")
        #expect(Weaver.productName("03-ViT") == "ch03-vit")
        #expect(Weaver.productName("04-DINOHead") == "ch04-dino-head")
    }
}
