import Foundation

/// A line chart in text: `values` resampled to `width` columns, `height` rows, with the extreme values
/// labelled on the left. For the schedules of chapter 08 and the curves of the trainer.
public func textPlot(_ values: [Double], width: Int = 60, height: Int = 8, decimals: Int = 4) -> String {
    guard let low = values.min(), let high = values.max(), !values.isEmpty else { return "(no values)" }
    let span = high - low
    var grid = [[Character]](repeating: [Character](repeating: " ", count: width), count: height)
    for column in 0..<width {
        let index = min(values.count - 1, column * values.count / width)
        let level = span == 0 ? 0 : Int(((values[index] - low) / span * Double(height - 1)).rounded())
        grid[height - 1 - level][column] = "•"
    }
    let labels = [String(format: "%.\(decimals)f", high), String(format: "%.\(decimals)f", low)]
    let labelWidth = labels.map(\.count).max()!
    return grid.enumerated().map { row, characters in
        let label = row == 0 ? labels[0] : row == height - 1 ? labels[1] : ""
        return String(repeating: " ", count: labelWidth - label.count) + label + " │" + String(characters)
    }.joined(separator: "\n") + "\n" + String(repeating: " ", count: labelWidth) + " └" + String(repeating: "─", count: width)
}
