import Foundation
import Testing

@testable import Figures

/// The charts and grids the chapters and the trainer draw, and the comparison that keeps the book's
/// copies fresh.
@Suite struct FigureTests {
    @Test func ticksFallOnRoundNumbers() {
        let axis = Axis(values: [0.013, 0.87], fixed: nil)
        #expect(axis.step == 0.2)
        #expect(axis.ticks.map { ($0 * 10).rounded() / 10 } == [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        #expect((axis.low, axis.high) == (0, 1))
        #expect(axis.label(0.4) == "0.4")
        // Integers (epochs) get whole ticks; a fixed range is kept as given.
        #expect(Axis(values: [1, 2, 3], fixed: nil).ticks == [1, 2, 3])
        let fixed = Axis(values: [5], fixed: 0...3)
        #expect((fixed.low, fixed.high) == (0, 3) && fixed.ticks == [0, 1, 2, 3])
        // Negative control: a range of 1000 gets ticks of 200, not 0.2.
        #expect(Axis(values: [0, 1000], fixed: nil).step == 200)
    }

    @Test func aSinglePointIsDrawnAndSaysSo() {
        // The quick run's first k-NN chart: one epoch, one value. Its axis is widened around it.
        let chart = Chart(title: "k-NN", xLabel: "epoch", yLabel: "%", series: [.init("k-NN top-1", [(1, 7)])])
        let svg = chart.svg()
        #expect(svg.contains("<circle"))
        #expect(svg.contains("(one point)"))
        #expect(svg.contains(">6<") && svg.contains(">8<") && svg.contains(">7.0 (one point)<"), "the y axis spans the point: \(svg)")
        // Negative control: two points make a line, not a labelled dot.
        let line = Chart(title: "k-NN", xLabel: "epoch", yLabel: "%", series: [.init("k-NN top-1", [(1, 7), (2, 9)])]).svg()
        #expect(line.contains("<polyline") && !line.contains("(one point)"))
    }

    @Test func chartsHaveAxesGridAndLegend() {
        let chart = Chart(title: "loss & more", xLabel: "iteration", yLabel: "loss", series: [
            .init("training", [(0, 4), (10, 3), (20, 2.5)]), .init("baseline", [(0, 3), (20, 3)], dashed: true),
        ])
        let svg = chart.svg()
        #expect(svg.components(separatedBy: "stroke=\"#e0e0e0\"").count - 1 >= 6, "grid lines at the ticks")
        #expect(svg.contains(">training<") && svg.contains(">baseline<"), "a legend entry per series")
        #expect(svg.contains("stroke-dasharray"))
        #expect(svg.contains("loss &amp; more") && !svg.contains("loss & more"), "text is escaped")
        // Non-finite values are left out rather than drawn at NaN.
        let partial = Chart(title: "t", xLabel: "x", yLabel: "y", series: [.init("s", [(0, 1), (1, .nan), (2, .infinity), (3, 2)])]).svg()
        #expect(!partial.contains("nan") && !partial.contains("inf"))
    }

    @Test func theLegendAvoidsTheLines() throws {
        // The legend box's corner, read back from the SVG: (x, y) of its rectangle.
        func legendCorner(_ svg: String) -> (x: Double, y: Double)? {
            guard let box = svg.split(separator: "\n").first(where: { $0.contains("stroke=\"#999999\"") }) else { return nil }
            func value(_ name: String) -> Double? {
                box.components(separatedBy: " \(name)=\"").dropFirst().first.flatMap { Double($0.prefix { $0 != "\"" }) }
            }
            return value("x").flatMap { x in value("y").map { (x, $0) } }
        }
        // A k-NN curve climbing to the top right, beside a flat baseline near the top: only the bottom-right corner is free.
        let rising = Chart(title: "k-NN", xLabel: "minutes", yLabel: "%", series: [
            .init("teacher", [(0, 60), (50, 70), (100, 76)]), .init("raw pixels", [(0, 85.7), (100, 85.7)], dashed: true),
        ]).svg()
        let corner = try #require(legendCorner(rising))
        #expect(corner.x > 320 && corner.y > 180, "bottom right, clear of both lines: \(corner)")
        // Negative control: lines along the bottom leave the legend in its usual top-right corner.
        let falling = Chart(title: "loss", xLabel: "step", yLabel: "loss", series: [.init("loss", [(0, 9), (1, 1), (100, 0.5)])]).svg()
        let usual = try #require(legendCorner(falling))
        #expect(usual.x > 320 && usual.y < 180, "top right: \(usual)")
        // Values near Double's limits overflow the drawing's coordinates: the legend is still placed, no trap.
        let extreme = Chart(title: "t", xLabel: "x", yLabel: "y", series: [.init("s", [(0, 1e308), (1, 1e308), (2, -1e308)])]).svg()
        #expect(legendCorner(extreme) != nil)
    }

    @Test func imageGridsColourEachPixel() {
        let grid = ImageGrid(title: "t", rows: [[.init([0, 1, 0.5, 2], width: 2, height: 2, palette: .grey)]], cellSize: 20)
        let svg = grid.svg()
        #expect(svg.contains("rgb(0,0,0)") && svg.contains("rgb(255,255,255)") && svg.contains("rgb(128,128,128)"))
        #expect(svg.components(separatedBy: "<rect").count - 1 == 1 + 4, "the background and one rectangle per pixel")
        #expect(ImageGrid.colour(2, .grey) == (255, 255, 255), "clamped")
        #expect(ImageGrid.colour(.nan, .heat) == ImageGrid.colour(0, .heat))
    }

    @Test func figuresAgreeWithinAFewPixelsOnly() {
        let committed = #"<line x1="10.0" y1="20.5"/><text>0.5</text><rect fill="rgb(12,200,3)"/>"#
        #expect(figureDifference(committed, committed) == nil)
        #expect(figureDifference(#"<line x1="11.2" y1="18.0"/><text>0.5</text><rect fill="rgb(14,201,3)"/>"#, committed) == nil)
        // Negative controls: a point moved 4 px, a changed word, a number too many.
        #expect(figureDifference(#"<line x1="14.1" y1="20.5"/><text>0.5</text><rect fill="rgb(12,200,3)"/>"#, committed) != nil)
        #expect(figureDifference(#"<line x1="10.0" y1="20.5"/><text>0.5</text><circle fill="rgb(12,200,3)"/>"#, committed) != nil)
        #expect(figureDifference(#"<line x1="10.0" y1="20.5"/><text>0.5</text><rect fill="rgb(12,200,3,4)"/>"#, committed) != nil)
    }
}
