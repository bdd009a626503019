import Foundation
import Ink

/// The book as a static website a student reads offline, from `file://`: one page per chapter and
/// appendix, a table of contents and previous/next links on every page, highlighted code, equations
/// rendered by KaTeX, the figures, and a search over every section. The Markdown in `book/` stays the
/// source; Ink converts it, and the site's scripts come from Debian's `libjs-katex` and
/// `libjs-highlight.js`, copied in.
public struct Site: Sendable {
    /// The repository's root folder.
    public let root: URL
    /// Where KaTeX is installed (`libjs-katex`).
    public var katex = URL(fileURLWithPath: "/usr/share/javascript/katex")
    /// Where highlight.js is installed (`libjs-highlight.js`).
    public var highlight = URL(fileURLWithPath: "/usr/share/javascript/highlight.js")

    /// A site builder for the repository at `root`.
    public init(root: URL) { self.root = root }

    /// A page of the site: its Markdown source under `book/`, its HTML file name and its title.
    public struct Page: Sendable {
        /// `05-centering.md`.
        public let source: String
        /// `05-centering.html`.
        public let file: String
        /// The first heading.
        public let title: String
    }

    /// What a build wrote, for the report.
    public struct Report: Sendable {
        /// The pages, in reading order.
        public var pages: [Page] = []
        /// Equations handed to KaTeX.
        public var equations = 0
        /// Figures embedded.
        public var figures = 0
        /// Links between the site's pages.
        public var internalLinks = 0
    }

    /// The pages in reading order: the contents, the chapters, then the appendices.
    public func pages() throws -> [Page] {
        let chapters = try Weaver(root: root).chapterFolders().map(Weaver.pageName)
        let order = ["README.md"] + chapters + Weaver.wovenSources + Self.appendices
        return try order.map { source in
            let text = try read("book/" + source)
            let heading = text.components(separatedBy: "\n").first { $0.hasPrefix("# ") }.map { String($0.dropFirst(2)) } ?? source
            return Page(source: source, file: source == "README.md" ? "index.html" : Self.htmlName(source), title: heading)
        }
    }

    /// The appendices, after the chapters, in this order.
    public static let appendices = ["glossary.md", "paper-map.md", "exercise-solutions.md", "appendix-performance.md"]

    /// `05-centering.md` → `05-centering.html`.
    static func htmlName(_ markdownFile: String) -> String { String(markdownFile.dropLast(3)) + ".html" }

    /// Builds the site into `output` (emptied first) and says what it wrote.
    public func build(into output: URL) throws -> Report {
        let files = FileManager.default
        for (library, name) in [(katex, "libjs-katex"), (highlight, "libjs-highlight.js")] where !files.fileExists(atPath: library.path) {
            throw WeaveError("\(library.path) is missing: install \(name) (`Tools/install-deps.sh --book`)")
        }
        try? files.removeItem(at: output)
        let assets = output.appendingPathComponent("assets")
        try files.createDirectory(at: assets, withIntermediateDirectories: true)
        // Debian links katex/fonts and katex.min.js elsewhere: copy what the links point to.
        var copies = [("katex.min.js", "katex/katex.min.js"), ("katex.min.css", "katex/katex.min.css")].map { (katex.appendingPathComponent($0.0), $0.1) }
        let fonts = katex.appendingPathComponent("fonts").resolvingSymlinksInPath()
        for font in try files.contentsOfDirectory(atPath: fonts.path).sorted() {
            copies.append((fonts.appendingPathComponent(font), "katex/fonts/\(font)"))
        }
        copies += [("highlight.min.js", "highlight/highlight.min.js"), ("styles/github.css", "highlight/github.css")].map { (highlight.appendingPathComponent($0.0), $0.1) }
        copies += ["book.css", "book.js"].map { (root.appendingPathComponent("Tools/BookSite/\($0)"), $0) }
        for (source, destination) in copies {
            let target = assets.appendingPathComponent(destination)
            try files.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try files.copyItem(at: source.resolvingSymlinksInPath(), to: target)
        }
        let figures = root.appendingPathComponent("book/figures")
        if files.fileExists(atPath: figures.path) { try files.copyItem(at: figures, to: output.appendingPathComponent("figures")) }

        var report = Report()
        report.pages = try pages()
        var searchEntries = [[String: String]]()
        for (index, page) in report.pages.enumerated() {
            let converted = convert(try read("book/" + page.source))
            report.equations += converted.equations
            report.figures += converted.figures
            report.internalLinks += converted.internalLinks
            for section in converted.sections {
                searchEntries.append(["page": page.file, "anchor": section.anchor, "title": section.title, "pageTitle": page.title, "text": section.text])
            }
            let html = layout(page: page, body: converted.html,
                              previous: index > 0 ? report.pages[index - 1] : nil,
                              next: index + 1 < report.pages.count ? report.pages[index + 1] : nil,
                              all: report.pages)
            try Data(html.utf8).write(to: output.appendingPathComponent(page.file))
        }
        // A script, not JSON: a page opened from file:// may not fetch() a file beside it.
        let index = try JSONSerialization.data(withJSONObject: searchEntries, options: [.sortedKeys])
        try Data(("window.bookSearchIndex = " + String(decoding: index, as: UTF8.self) + ";\n").utf8)
            .write(to: output.appendingPathComponent("search-index.js"))
        return report
    }

    /// The Markdown with every prose line that starts with a code span joined to the line before it: Ink
    /// ends a paragraph at such a line, where Markdown continues it. Code blocks and tables are left alone.
    static func joiningCodeSpanLines(_ markdown: String) -> String {
        var lines = [String](), inFence = false
        for line in markdown.components(separatedBy: "\n") {
            if line.hasPrefix("```") { inFence.toggle() }
            let continues = !inFence && line.hasPrefix("`") && !line.hasPrefix("```")
            if continues, let previous = lines.last, !previous.isEmpty,
               !previous.hasPrefix("```"), !previous.hasPrefix("|"), !previous.hasPrefix("#"), !previous.hasPrefix("    ") {
                lines[lines.count - 1] = previous + " " + line
            } else {
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// A Markdown page as HTML: equations as KaTeX sources, headings with anchors, `.md` links as
    /// `.html`, figures with captions; and its sections as plain text for the search.
    func convert(_ markdown: String) -> (html: String, equations: Int, figures: Int, internalLinks: Int,
                                        sections: [(anchor: String, title: String, text: String)]) {
        let math = MathExtraction(markdown)
        var html = MarkdownParser().html(from: Self.joiningCodeSpanLines(math.markdown))
        // Headings get the anchors code hosts give them, so links into a section work in both.
        var sections = [(anchor: String, title: String, text: String)]()
        var used = [String: Int]()
        html = replacing(#"<h([1-6])>(.*?)</h\1>"#, in: html) { groups in
            let title = Self.plainText(Self.restoringMath(groups[2], math.equations, asTeX: true))
            var anchor = Self.anchor(title)
            if let count = used[anchor] { used[anchor] = count + 1; anchor += "-\(count)" } else { used[anchor] = 1 }
            sections.append((anchor, title, ""))
            return "<h\(groups[1]) id=\"\(anchor)\"><a class=\"anchor\" href=\"#\(anchor)\">#</a>\(groups[2])</h\(groups[1])>"
        }
        var internalLinks = 0
        html = replacing(##"href="([^"#:]+)\.md(#[^"]*)?""##, in: html) { groups in
            internalLinks += 1
            return "href=\"\(groups[1] == "README" ? "index" : groups[1]).html\(groups[2])\""
        }
        var figures = 0
        html = replacing(#"(?:<p>)?<img src="(figures/[^"]+)" alt="([^"]*)"/?>(?:</p>)?"#, in: html) { groups in
            figures += 1
            return "<figure><img src=\"\(groups[1])\" alt=\"\(groups[2])\"><figcaption>\(groups[2])</figcaption></figure>"
        }
        html = Self.restoringMath(html, math.equations, asTeX: false)
        // The search reads each section's text, headings and code included, equations as TeX.
        let plain = Self.plainText(replacing(#"<h[1-6] id="([^"]+)">"#, in: html) { "\u{1}\($0[1])\u{2}" })
        for part in plain.components(separatedBy: "\u{1}").dropFirst() {
            let pieces = part.components(separatedBy: "\u{2}")
            guard pieces.count == 2, let index = sections.firstIndex(where: { $0.anchor == pieces[0] }) else { continue }
            sections[index].text = String(pieces[1].split(whereSeparator: \.isWhitespace).joined(separator: " ").prefix(4000))
        }
        return (html, math.equations.count, figures, internalLinks, sections)
    }

    /// Puts each equation back: as an element KaTeX renders (`asTeX: false`), or as its TeX.
    static func restoringMath(_ html: String, _ equations: [(tex: String, display: Bool)], asTeX: Bool) -> String {
        var html = html
        for (index, equation) in equations.enumerated().reversed() {  // DINOMATH12X before DINOMATH1X
            let placeholder = MathExtraction.placeholder(index)
            let tex = escapedHTML(equation.tex)
            if asTeX {
                html = html.replacingOccurrences(of: placeholder, with: tex)
            } else if equation.display {
                html = html.replacingOccurrences(of: "<p>\(placeholder)</p>", with: "<div class=\"math display\">\(tex)</div>")
                html = html.replacingOccurrences(of: placeholder, with: "<span class=\"math display\">\(tex)</span>")
            } else {
                html = html.replacingOccurrences(of: placeholder, with: "<span class=\"math inline\">\(tex)</span>")
            }
        }
        return html
    }

    /// A heading's anchor as code hosts make it: lower case, punctuation dropped, spaces as dashes.
    static func anchor(_ title: String) -> String {
        String(title.lowercased().compactMap { character -> Character? in
            if character == " " { return "-" }
            return character.isLetter || character.isNumber || character == "-" || character == "_" ? character : nil
        })
    }

    /// Text without tags, with the common entities decoded.
    static func plainText(_ html: String) -> String {
        replacing("<[^>]+>", in: html) { _ in "" }
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// One page: the contents in a side bar with the search box, the page, previous and next.
    func layout(page: Page, body: String, previous: Page?, next: Page?, all: [Page]) -> String {
        let contents = all.map { entry in
            "<li\(entry.file == page.file ? " class=\"current\"" : "")><a href=\"\(entry.file)\">\(escapedHTML(entry.title))</a></li>"
        }.joined(separator: "\n")
        let pager = """
            <nav class="pager">\(previous.map { "<a class=\"previous\" href=\"\($0.file)\">← \(escapedHTML($0.title))</a>" } ?? "<span></span>")\
            \(next.map { "<a class=\"next\" href=\"\($0.file)\">\(escapedHTML($0.title)) →</a>" } ?? "<span></span>")</nav>
            """
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escapedHTML(page.title)) · DINO in Swift</title>
            <link rel="stylesheet" href="assets/katex/katex.min.css">
            <link rel="stylesheet" href="assets/highlight/github.css">
            <link rel="stylesheet" href="assets/book.css">
            </head>
            <body>
            <nav class="contents">
            <a class="book-title" href="index.html">DINO in Swift</a>
            <input id="search" type="search" placeholder="Search the book" aria-label="Search the book">
            <ol id="search-results" hidden></ol>
            <ol class="pages">
            \(contents)
            </ol>
            </nav>
            <main>
            \(pager)
            <article>
            \(body)
            </article>
            \(pager)
            </main>
            <script src="assets/katex/katex.min.js"></script>
            <script src="assets/highlight/highlight.min.js"></script>
            <script src="search-index.js"></script>
            <script src="assets/book.js"></script>
            </body>
            </html>

            """
    }

    func read(_ path: String) throws -> String {
        guard let text = try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8) else {
            throw WeaveError("cannot read \(path)")
        }
        return text
    }
}

/// `text` with each match of `pattern` replaced by what `transform` returns for its groups (group 0 is
/// the whole match; a group that did not take part is empty).
func replacing(_ pattern: String, in text: String, _ transform: ([String]) -> String) -> String {
    guard let expression = try? NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators]) else { return text }
    let source = text as NSString
    var result = ""
    var last = 0
    for match in expression.matches(in: text, range: NSRange(location: 0, length: source.length)) {
        result += source.substring(with: NSRange(location: last, length: match.range.location - last))
        let groups = (0..<match.numberOfRanges).map { match.range(at: $0).location == NSNotFound ? "" : source.substring(with: match.range(at: $0)) }
        result += transform(groups)
        last = match.range.location + match.range.length
    }
    return result + source.substring(from: last)
}

/// Text made safe inside HTML.
func escapedHTML(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
