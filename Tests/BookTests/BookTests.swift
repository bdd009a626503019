import Foundation
import Ink
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

/// The website's conversion: the mathematics taken out before Ink and put back for KaTeX, anchors,
/// links and figures.
@Suite struct SiteTests {
    @Test func equationsAreTakenOutOfTheProseButNotOutOfCode() {
        let page = "Both $\\tau_t$ and $x^2$ here, `$not_math$` in code.\n\n```math\n\\frac{a}{b}\n```\n\n```swift\nlet price = \"$5 or $6\"\n```\n\n$$\nc \\leftarrow m c\n$$"
        let math = MathExtraction(page)
        #expect(math.equations.map(\.tex) == ["\\tau_t", "x^2", "\\frac{a}{b}", "c \\leftarrow m c"])
        #expect(math.equations.map(\.display) == [false, false, true, true])
        #expect(math.markdown.contains("`$not_math$`") && math.markdown.contains("\"$5 or $6\""), "code stays as it is")
        // Negative controls: a dollar followed by a space, or escaped, is not an equation.
        #expect(MathExtraction("costs $ 5 and $ 6").equations.isEmpty)
        #expect(MathExtraction("a \\$5 note and \\$6").equations.isEmpty)
    }

    @Test func pagesGetAnchorsLinksFiguresAndKaTeXElements() {
        let site = Site(root: repositoryRoot)
        let page = """
            # 05 · Centring

            ## 1. The centre (Eq. 4)

            See [the loss](06-loss.md#1-the-pairs), with $\\tau_t$ and `code_x`.

            ![the curves](figures/05-x.svg)

            ```swift
            let a = 1 < 2
            ```
            """
        let converted = site.convert(page)
        #expect(converted.html.contains(#"<h2 id="1-the-centre-eq-4">"#), "\(converted.html)")
        #expect(converted.html.contains(#"href="06-loss.html#1-the-pairs""#))
        #expect(converted.html.contains(#"<figure><img src="figures/05-x.svg" alt="the curves"><figcaption>the curves</figcaption></figure>"#))
        #expect(converted.html.contains(#"<span class="math inline">\tau_t</span>"#))
        #expect(converted.html.contains("<code>code_x</code>") && converted.html.contains("1 &lt; 2"))
        #expect((converted.equations, converted.figures, converted.internalLinks) == (1, 1, 1))
        #expect(converted.sections.map(\.anchor) == ["05--centring", "1-the-centre-eq-4"])
        #expect(converted.sections[1].text.contains("See the loss, with \\tau_t"), "the search reads the TeX: \(converted.sections[1].text)")
        // Negative control: a link to something that is not a page is left alone.
        #expect(site.convert("[code](../Sources/DINO/x.swift)").html.contains(#"href="../Sources/DINO/x.swift""#))
    }

    @Test func aLineStartingWithCodeContinuesItsParagraph() {
        let html = Site(root: repositoryRoot).convert("In PyTorch,\n`trunc_normal_` cuts.\n\n```\nx\n`y`\n```").html
        #expect(html.contains("<p>In PyTorch, <code>trunc_normal_</code> cuts.</p>"), "\(html)")
        #expect(html.contains("x\n`y`"), "code blocks are left alone: \(html)")
        // Negative control: Ink alone ends the paragraph there.
        #expect(!MarkdownParser().html(from: "In PyTorch,\n`trunc_normal_` cuts.").contains("In PyTorch, <code>"))
    }

    @Test func pythonSnippetsQuoteTheBooksPyTorchScript() throws {
        let code = try Weaver(root: repositoryRoot).pythonSnippet(named: "torch-loss")
        #expect(code.hasPrefix("class DINOLoss(nn.Module):") && !code.contains("snippet."))
        #expect(throws: WeaveError.self) { try Weaver(root: repositoryRoot).pythonSnippet(named: "no-such-snippet") }
    }

    @Test func anchorsFollowTheCodeHosts() {
        #expect(Site.anchor("5. Checkpoints that resume exactly, and that PyTorch reads") == "5-checkpoints-that-resume-exactly-and-that-pytorch-reads")
        #expect(Site.anchor("6. Weights by name, in PyTorch's format") == "6-weights-by-name-in-pytorchs-format")
    }
}
