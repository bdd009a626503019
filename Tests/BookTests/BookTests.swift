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
        let (file, code) = try Weaver(root: repositoryRoot).snippet(named: "naive-matmul")
        #expect(file == "Sources/DINO/00-Tensors/NaiveMatmul.swift")
        #expect(code.contains("public func naiveMatmul"))
        #expect(!code.contains("snippet."))
        #expect(throws: WeaveError.self) { try Weaver(root: repositoryRoot).snippet(named: "no-such-snippet") }
    }

    @Test func namesFollowTheFolders() {
        #expect(Weaver.pageName("01-PatchEmbedding") == "01-patch-embedding.md")
        #expect(Weaver.productName("00-Tensors") == "ch00-tensors")
        #expect(Weaver.productName("03-ViT") == "ch03-vit")
        #expect(Weaver.productName("04-DINOHead") == "ch04-dino-head")
    }
}
