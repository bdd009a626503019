import Foundation

/// Small images side by side as SVG, one rectangle per pixel so every pixel stays sharp at any zoom:
/// patch grids, attention weights and attention maps.
public struct ImageGrid: Sendable {
    /// One picture in the grid: row-major values in `[0, 1]` and how to colour them.
    public struct Picture: Sendable {
        /// How a value becomes a colour.
        public enum Palette: Sendable {
            /// 0 is black, 1 is white.
            case grey
            /// Dark blue through red to yellow, for weights and attention.
            case heat
        }

        /// `(height · width)` values in `[0, 1]`, row after row.
        public var values: [Float]
        /// Pixels per row.
        public var width: Int
        /// Rows.
        public var height: Int
        /// The colouring.
        public var palette: Palette

        /// A picture of `values`; values outside `[0, 1]` are clamped when drawn.
        public init(_ values: [Float], width: Int, height: Int, palette: Palette) {
            (self.values, self.width, self.height, self.palette) = (values, width, height, palette)
        }
    }

    /// The title above the grid.
    public var title: String
    /// A caption above each column (may be shorter than a row).
    public var columnTitles: [String]
    /// The pictures, row by row.
    public var rows: [[Picture]]
    /// The side of every picture on the page, in px.
    public var cellSize: Double
    /// The space between pictures, in px.
    public var gap: Double

    /// A grid of `rows` under `title`.
    public init(title: String, columnTitles: [String] = [], rows: [[Picture]], cellSize: Double = 96, gap: Double = 8) {
        (self.title, self.columnTitles, self.rows, self.cellSize, self.gap) = (title, columnTitles, rows, cellSize, gap)
    }

    /// The grid as an SVG document.
    public func svg() -> String {
        let columns = rows.map(\.count).max() ?? 0
        let top = 34 + (columnTitles.isEmpty ? 0 : 18.0)
        let width = max(gap + Double(columns) * (cellSize + gap), 8 * Double(title.count) + 2 * gap)
        let height = top + Double(rows.count) * (cellSize + gap)
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="sans-serif" font-size="12">
            <rect width="\(f(width))" height="\(f(height))" fill="white"/>
            <text x="\(f(width / 2))" y="22" text-anchor="middle" font-size="15">\(escaped(title))</text>

            """
        for (column, caption) in columnTitles.enumerated() {
            svg += "<text x=\"\(f(gap + Double(column) * (cellSize + gap) + cellSize / 2))\" y=\"\(f(top - 6))\" text-anchor=\"middle\">\(escaped(caption))</text>\n"
        }
        svg += "<g shape-rendering=\"crispEdges\">\n"
        for (row, pictures) in rows.enumerated() {
            for (column, picture) in pictures.enumerated() {
                let (left, upper) = (gap + Double(column) * (cellSize + gap), top + Double(row) * (cellSize + gap))
                let pixel = cellSize / Double(max(picture.width, picture.height, 1))
                for y in 0..<picture.height {
                    for x in 0..<picture.width where y * picture.width + x < picture.values.count {
                        let (r, g, b) = Self.colour(picture.values[y * picture.width + x], picture.palette)
                        svg += "<rect x=\"\(f(left + Double(x) * pixel))\" y=\"\(f(upper + Double(y) * pixel))\" width=\"\(f(pixel))\" height=\"\(f(pixel))\" fill=\"rgb(\(r),\(g),\(b))\"/>\n"
                    }
                }
            }
        }
        return svg + "</g>\n</svg>\n"
    }

    /// A value's colour as 0–255 channels; NaN is drawn as 0.
    static func colour(_ value: Float, _ palette: Picture.Palette) -> (Int, Int, Int) {
        let v = value.isNaN ? 0 : min(1, max(0, value))
        func byte(_ x: Float) -> Int { Int((min(1, max(0, x)) * 255).rounded()) }
        switch palette {
        case .grey: return (byte(v), byte(v), byte(v))
        case .heat: return (byte(1.5 * v), byte(v * v), byte((0.6 - v) * 0.8 + 0.15))  // dark blue → red → yellow
        }
    }
}
