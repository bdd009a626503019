import Foundation

/// A line chart drawn as SVG, the way a reader expects one: axes with ticks at round numbers, grid
/// lines, axis names and a legend. A series with a single point is drawn as a marker and labelled
/// "(one point)", so a one-epoch run shows a dot with its value rather than an empty axis.
public struct Chart: Sendable {
    /// One line of the chart.
    public struct Series: Sendable {
        /// The name shown in the legend.
        public var name: String
        /// The `(x, y)` points, in drawing order; non-finite values are left out.
        public var points: [(x: Double, y: Double)]
        /// Drawn dashed: for reference lines such as a baseline.
        public var dashed: Bool

        /// A series named `name` through `points`.
        public init(_ name: String, _ points: [(x: Double, y: Double)], dashed: Bool = false) {
            self.name = name
            self.points = points.filter { $0.x.isFinite && $0.y.isFinite }
            self.dashed = dashed
        }
    }

    /// The title above the plot.
    public var title: String
    /// The horizontal axis's name.
    public var xLabel: String
    /// The vertical axis's name.
    public var yLabel: String
    /// The lines, drawn in order with the palette's colours.
    public var series: [Series]
    /// The vertical range; `nil` fits the data. A fixed range keeps a figure stable when its values wobble.
    public var yRange: ClosedRange<Double>?

    /// A chart of `series` under `title`.
    public init(title: String, xLabel: String, yLabel: String, series: [Series], yRange: ClosedRange<Double>? = nil) {
        (self.title, self.xLabel, self.yLabel, self.series, self.yRange) = (title, xLabel, yLabel, series, yRange)
    }

    /// Colours that stay distinct for colour-blind readers (Okabe–Ito).
    static let palette = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9"]

    /// The chart as an SVG document, 640 × 360 px.
    public func svg() -> String {
        let (width, height) = (640.0, 360.0)
        let (left, right, top, bottom) = (72.0, 24.0, 40.0, 56.0)
        let points = series.flatMap(\.points)
        let xAxis = Axis(values: points.map(\.x), fixed: nil)
        let yAxis = Axis(values: points.map(\.y), fixed: yRange)
        func px(_ x: Double) -> Double { left + (x - xAxis.low) / (xAxis.high - xAxis.low) * (width - left - right) }
        func py(_ y: Double) -> Double { height - bottom - (y - yAxis.low) / (yAxis.high - yAxis.low) * (height - top - bottom) }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="640" height="360" viewBox="0 0 640 360" font-family="sans-serif" font-size="12">
            <rect width="640" height="360" fill="white"/>
            <text x="320" y="22" text-anchor="middle" font-size="15">\(escaped(title))</text>

            """
        for tick in xAxis.ticks {
            svg += "<line x1=\"\(f(px(tick)))\" y1=\"\(f(top))\" x2=\"\(f(px(tick)))\" y2=\"\(f(height - bottom))\" stroke=\"#e0e0e0\"/>\n"
            svg += "<text x=\"\(f(px(tick)))\" y=\"\(f(height - bottom + 16))\" text-anchor=\"middle\">\(xAxis.label(tick))</text>\n"
        }
        for tick in yAxis.ticks {
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(py(tick)))\" x2=\"\(f(width - right))\" y2=\"\(f(py(tick)))\" stroke=\"#e0e0e0\"/>\n"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(py(tick) + 4))\" text-anchor=\"end\">\(yAxis.label(tick))</text>\n"
        }
        svg += """
            <line x1="\(f(left))" y1="\(f(height - bottom))" x2="\(f(width - right))" y2="\(f(height - bottom))" stroke="black"/>
            <line x1="\(f(left))" y1="\(f(top))" x2="\(f(left))" y2="\(f(height - bottom))" stroke="black"/>
            <text x="\(f((left + width - right) / 2))" y="\(f(height - 14))" text-anchor="middle">\(escaped(xLabel))</text>
            <text transform="translate(18 \(f((top + height - bottom) / 2))) rotate(-90)" text-anchor="middle">\(escaped(yLabel))</text>

            """
        var legend = [String]()
        for (index, line) in series.enumerated() {
            let colour = Self.palette[index % Self.palette.count]
            let dash = line.dashed ? " stroke-dasharray=\"6 4\"" : ""
            if line.points.count == 1, let point = line.points.first {
                svg += "<circle cx=\"\(f(px(point.x)))\" cy=\"\(f(py(point.y)))\" r=\"4\" fill=\"\(colour)\"/>\n"
                svg += "<text x=\"\(f(px(point.x) + 8))\" y=\"\(f(py(point.y) - 8))\" fill=\"\(colour)\">\(yAxis.label(point.y, extraDigits: 1)) (one point)</text>\n"
                legend.append("\(line.name) (one point)")
            } else {
                let path = line.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"\(dash) points=\"\(path)\"/>\n"
                if line.points.count <= 12, !line.dashed {  // few points: mark each, so a reader sees where the data is
                    for point in line.points { svg += "<circle cx=\"\(f(px(point.x)))\" cy=\"\(f(py(point.y)))\" r=\"3\" fill=\"\(colour)\"/>\n" }
                }
                legend.append(line.name)
            }
        }
        if !legend.isEmpty {
            let (boxWidth, boxHeight) = (36 + 7 * Double(legend.map(\.count).max() ?? 0), 8 + 18 * Double(legend.count))
            // The legend goes in the plot's corner that hides the least of the lines, top right on a tie.
            let corners = [(width - right - boxWidth - 8, top + 8), (width - right - boxWidth - 8, height - bottom - boxHeight - 8),
                           (left + 8, top + 8), (left + 8, height - bottom - boxHeight - 8)]
            let drawn = series.map { $0.points.map { (px($0.x), py($0.y)) } }
            let (boxLeft, boxTop) = corners.min { a, b in
                Self.hidden(drawn, by: (a.0, a.1, boxWidth, boxHeight)) < Self.hidden(drawn, by: (b.0, b.1, boxWidth, boxHeight))
            } ?? corners[0]
            svg += "<rect x=\"\(f(boxLeft))\" y=\"\(f(boxTop))\" width=\"\(f(boxWidth))\" height=\"\(f(boxHeight))\" fill=\"white\" stroke=\"#999999\"/>\n"
            for (index, name) in legend.enumerated() {
                let y = boxTop + 14 + 18 * Double(index)
                let colour = Self.palette[index % Self.palette.count]
                let dash = series[index].dashed ? " stroke-dasharray=\"6 4\"" : ""
                svg += "<line x1=\"\(f(boxLeft + 6))\" y1=\"\(f(y - 4))\" x2=\"\(f(boxLeft + 26))\" y2=\"\(f(y - 4))\" stroke=\"\(colour)\" stroke-width=\"2\"\(dash)/>\n"
                svg += "<text x=\"\(f(boxLeft + 32))\" y=\"\(f(y))\">\(escaped(name))</text>\n"
            }
        }
        return svg + "</svg>\n"
    }

    /// How much of the drawn lines (in SVG coordinates) a box hides: the number of points, sampled
    /// every few pixels along each line, that fall inside it.
    static func hidden(_ lines: [[(Double, Double)]], by box: (x: Double, y: Double, width: Double, height: Double)) -> Int {
        func inside(_ p: (Double, Double)) -> Bool { (box.x...box.x + box.width).contains(p.0) && (box.y...box.y + box.height).contains(p.1) }
        var count = 0
        for line in lines {
            if let only = line.first, line.count == 1, inside(only) { count += 1 }
            for (a, b) in zip(line, line.dropFirst()) {
                // Coordinates of values near Double's limits may overflow: such a segment is sampled at its ends only.
                let length = hypot(b.0 - a.0, b.1 - a.1)
                let samples = length.isFinite ? max(1, Int(min(length, 2000) / 4)) : 1
                for step in 0...samples {
                    let t = Double(step) / Double(samples)
                    if inside((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))) { count += 1 }
                }
            }
        }
        return count
    }
}

/// An axis: a range that starts and ends on round numbers, and the ticks between.
struct Axis {
    let low: Double, high: Double, step: Double
    let ticks: [Double]

    /// Ticks at 1, 2 or 5 × 10ᵏ, about five of them, covering `values` (or `fixed`). A range of one
    /// value is widened around it, so a single point sits in the middle of its axis.
    init(values: [Double], fixed: ClosedRange<Double>?) {
        var (low, high) = fixed.map { ($0.lowerBound, $0.upperBound) } ?? (values.min() ?? 0, values.max() ?? 1)
        if !(high - low).isFinite { (low, high) = (0, 1) }  // values beyond Double's range: no axis to fit
        if high - low < 1e-12 {
            let pad = max(abs(low) * 0.1, 0.5)
            (low, high) = (low - pad, high + pad)
        }
        let rough = (high - low) / 5
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        var step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        if step < 1, fixed == nil, !values.isEmpty, values.allSatisfy({ $0 == $0.rounded() }) { step = 1 }  // epochs, steps: no half ticks
        if fixed == nil {
            (low, high) = ((low / step).rounded(.down) * step, (high / step).rounded(.up) * step)
        }
        let first = (low / step).rounded(.up)
        let last = (high / step + 1e-9).rounded(.down)
        // Checked before converting: ticks are counted in Int, and only a sane number of them is drawn.
        let countable = first <= last && abs(first) < 1e15 && abs(last) < 1e15 && last - first < 1000
        self.ticks = countable ? (Int(first)...Int(last)).map { Double($0) * step } : []
        (self.low, self.high, self.step) = (low, high, step)
    }

    /// A tick's label with as many decimals as the step needs.
    func label(_ value: Double, extraDigits: Int = 0) -> String {
        let decimals = max(0, -Int((log10(step)).rounded(.down))) + extraDigits
        let text = String(format: "%.\(decimals)f", value)
        return text.allSatisfy { "-0.".contains($0) } ? String(text.drop { $0 == "-" }) : text
    }
}

/// A coordinate with one decimal: a tenth of a pixel is below what a screen shows.
func f(_ value: Double) -> String { String(format: "%.1f", value) }

/// Text made safe inside SVG and HTML.
func escaped(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
}
