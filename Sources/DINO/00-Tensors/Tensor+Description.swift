import Foundation

extension Tensor: CustomStringConvertible {
    /// The shape and, for small tensors, the values with four decimals, one row per line.
    public var description: String { formatted(decimals: 4) }

    /// The shape and the values (at most `maxRows` rows of at most `maxColumns`), with `decimals` places.
    public func formatted(decimals: Int, maxRows: Int = 8, maxColumns: Int = 8) -> String {
        let columns = shape.last ?? 1
        let rowCount = count / max(columns, 1)
        func cell(_ value: Float) -> String { String(format: "%\(decimals + 4).\(decimals)f", value) }
        var lines = ["Tensor \(shape)"]
        for row in 0..<min(rowCount, maxRows) {
            var cells = (0..<min(columns, maxColumns)).map { cell(scalars[row * columns + $0]) }
            if columns > maxColumns { cells.append("…") }
            lines.append("  " + cells.joined(separator: " "))
        }
        if rowCount > maxRows { lines.append("  … \(rowCount - maxRows) more rows") }
        return lines.joined(separator: "\n")
    }
}
