import Foundation

/// A line chart as SVG: one polyline per series, axes with their ranges, a legend.
public struct SVGChart {
    /// The chart's title.
    public var title: String
    /// The horizontal axis's name.
    public var xLabel: String
    /// Each series: a name and its `(x, y)` points.
    public var series: [(name: String, points: [(Double, Double)])]

    /// Writes the chart to `url` atomically.
    public func write(to url: URL) throws {
        let (width, height, margin) = (640.0, 360.0, 56.0)
        let points = series.flatMap(\.points).filter { $0.1.isFinite }
        let xs = points.map(\.0), ys = points.map(\.1)
        let (xLow, xHigh) = (xs.min() ?? 0, max(xs.max() ?? 1, (xs.min() ?? 0) + 1e-9))
        var (yLow, yHigh) = (ys.min() ?? 0, ys.max() ?? 1)
        if yHigh - yLow < 1e-9 { (yLow, yHigh) = (yLow - 0.5, yHigh + 0.5) }
        func px(_ x: Double) -> Double { margin + (x - xLow) / (xHigh - xLow) * (width - 2 * margin) }
        func py(_ y: Double) -> Double { height - margin - (y - yLow) / (yHigh - yLow) * (height - 2 * margin) }
        let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(width / 2)" y="20" text-anchor="middle" font-size="15">\(title)</text>
            <line x1="\(margin)" y1="\(height - margin)" x2="\(width - margin)" y2="\(height - margin)" stroke="black"/>
            <line x1="\(margin)" y1="\(margin)" x2="\(margin)" y2="\(height - margin)" stroke="black"/>
            <text x="\(width / 2)" y="\(height - 16)" text-anchor="middle">\(xLabel)</text>
            <text x="\(margin - 4)" y="\(margin + 4)" text-anchor="end">\(String(format: "%.3g", yHigh))</text>
            <text x="\(margin - 4)" y="\(height - margin)" text-anchor="end">\(String(format: "%.3g", yLow))</text>
            <text x="\(margin)" y="\(height - margin + 16)" text-anchor="middle">\(String(format: "%.4g", xLow))</text>
            <text x="\(width - margin)" y="\(height - margin + 16)" text-anchor="middle">\(String(format: "%.4g", xHigh))</text>

            """
        for (index, line) in series.enumerated() {
            let colour = colours[index % colours.count]
            let path = line.points.filter { $0.1.isFinite }.map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }.joined(separator: " ")
            if line.points.count == 1 || !path.contains(" ") {
                if let point = line.points.first(where: { $0.1.isFinite }) {
                    svg += "<circle cx=\"\(px(point.0))\" cy=\"\(py(point.1))\" r=\"3\" fill=\"\(colour)\"/>\n"
                }
            } else {
                svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(path)\"/>\n"
            }
            svg += "<text x=\"\(width - margin - 4)\" y=\"\(margin + 14 * Double(index))\" text-anchor=\"end\" fill=\"\(colour)\">\(line.name)</text>\n"
        }
        svg += "</svg>\n"
        try writeAtomically(Data(svg.utf8), to: url)
    }
}
