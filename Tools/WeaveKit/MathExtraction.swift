import Foundation

/// The mathematics of a Markdown page, taken out before the Markdown is converted and put back after,
/// so that the converter never reads `_` or `*` inside an equation as emphasis.
///
/// The syntax is the one code hosts render: ```` ```math ```` blocks and `$$ … $$` for display
/// equations, `$ … $` for inline ones (no space just inside the dollars, on one line). Code blocks and
/// code spans are left as they are.
struct MathExtraction {
    /// The page with every equation replaced by a placeholder word.
    let markdown: String
    /// The TeX of each equation, in order, and whether it is displayed.
    let equations: [(tex: String, display: Bool)]

    /// The placeholder of equation `index`: letters and digits only, so Markdown leaves it alone.
    static func placeholder(_ index: Int) -> String { "DINOMATH\(index)X" }

    init(_ page: String) {
        var equations = [(tex: String, display: Bool)]()
        var output = [String]()
        let lines = page.components(separatedBy: "\n")
        var index = 0
        func take(_ tex: String, display: Bool) -> String {
            equations.append((tex.trimmingCharacters(in: .whitespacesAndNewlines), display))
            return Self.placeholder(equations.count - 1)
        }
        while index < lines.count {
            let line = lines[index]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") {
                // A fenced block runs to the next fence of at least as many backticks.
                let fence = String(trimmed.prefix { $0 == "`" })
                let info = trimmed.dropFirst(fence.count).trimmingCharacters(in: .whitespaces)
                var body = [String]()
                var end = index + 1
                while end < lines.count, !lines[end].trimmingCharacters(in: .whitespaces).hasPrefix(fence) {
                    body.append(lines[end])
                    end += 1
                }
                if info == "math" {
                    output += ["", take(body.joined(separator: "\n"), display: true), ""]
                } else {
                    output += lines[index...min(end, lines.count - 1)]
                }
                index = end + 1
            } else if trimmed.hasPrefix("$$") {
                // $$ … $$, on one line or over several.
                var tex = String(trimmed.dropFirst(2))
                var end = index
                while !tex.hasSuffix("$$"), end + 1 < lines.count {
                    end += 1
                    tex += "\n" + lines[end]
                }
                if tex.hasSuffix("$$") { tex.removeLast(2) }
                output += ["", take(tex, display: true), ""]
                index = end + 1
            } else {
                output.append(Self.inlineMathReplaced(line) { take($0, display: false) })
                index += 1
            }
        }
        self.markdown = output.joined(separator: "\n")
        self.equations = equations
    }

    /// `line` with each `$…$` outside code spans replaced by what `take` returns for its TeX.
    static func inlineMathReplaced(_ line: String, _ take: (String) -> String) -> String {
        let characters = Array(line)
        var result = ""
        var position = 0
        while position < characters.count {
            let character = characters[position]
            if character == "\\", position + 1 < characters.count, characters[position + 1] == "$" {
                result += "\\$"
                position += 2
            } else if character == "`" {
                // A code span: from a run of backticks to the next run of the same length.
                var run = 0
                while position + run < characters.count, characters[position + run] == "`" { run += 1 }
                var end = position + run
                var closed = false
                while end < characters.count {
                    var closing = 0
                    while end + closing < characters.count, characters[end + closing] == "`" { closing += 1 }
                    if closing == run { closed = true; end += closing; break }
                    end += max(closing, 1)
                }
                let stop = closed ? end : position + run
                result += String(characters[position..<stop])
                position = stop
            } else if character == "$", position + 1 < characters.count, characters[position + 1] != " ", characters[position + 1] != "$",
                      let close = (position + 2..<characters.count + 1).first(where: { $0 < characters.count && characters[$0] == "$" && characters[$0 - 1] != " " && characters[$0 - 1] != "\\" }) {
                result += take(String(characters[position + 1..<close]))
                position = close + 1
            } else {
                result.append(character)
                position += 1
            }
        }
        return result
    }
}
