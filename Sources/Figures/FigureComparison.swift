import Foundation

/// Whether a figure written now still shows what the committed copy shows.
///
/// The text of the two SVG documents must be the same apart from their numbers, and the numbers must
/// number the same and agree within `tolerance` (px for coordinates, 0–255 for colours). Rounding that
/// differs between CPUs moves a point by a fraction of a pixel; a change to the code that draws or to
/// the run it draws changes the text or moves something by more. Returns `nil` when they agree, or
/// the first difference.
public func figureDifference(_ actual: String, _ expected: String, tolerance: Double = 3) -> String? {
    let (a, e) = (figureTokens(actual), figureTokens(expected))
    for (index, (x, y)) in zip(a, e).enumerated() {
        switch (x, y) {
        case let (.number(u), .number(v)):
            if abs(u - v) > tolerance { return "number \(index): \(u), expected \(v) (tolerance \(tolerance))" }
        case let (.text(u), .text(v)) where u == v:
            continue
        default:
            return "at token \(index): '\(x)', expected '\(y)'"
        }
    }
    return a.count == e.count ? nil : "\(a.count) tokens, expected \(e.count)"
}

/// A piece of an SVG document: a run of text, or a number in it.
enum FigureToken: Equatable, CustomStringConvertible {
    case text(String)
    case number(Double)

    var description: String {
        switch self {
        case .text(let text): String(text.prefix(60))
        case .number(let value): "\(value)"
        }
    }
}

/// The document cut into numbers (`-12.5`, `255`) and the text between them.
func figureTokens(_ document: String) -> [FigureToken] {
    var tokens = [FigureToken]()
    var text = "", number = ""
    func flushNumber() {
        guard !number.isEmpty else { return }
        if let value = Double(number) { tokens.append(.number(value)) } else { text += number }
        number = ""
    }
    for character in document {
        let startsNumber = number.isEmpty && (character.isASCII && character.isNumber || character == "-")
        if character.isASCII && character.isNumber || (!number.isEmpty && character == ".") || startsNumber {
            if number.isEmpty, !text.isEmpty { tokens.append(.text(text)); text = "" }
            number.append(character)
        } else {
            flushNumber()
            text.append(character)
        }
    }
    flushNumber()
    if !text.isEmpty { tokens.append(.text(text)) }
    return tokens
}
