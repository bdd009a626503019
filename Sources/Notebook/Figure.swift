/// A figure a chapter drew: its file name (`05-collapse.svg`), its caption and its SVG text.
public struct Figure: Sendable, Equatable {
    /// The file name, unique across the book: the chapter's number, a dash, a name.
    public let name: String
    /// One line saying what the figure shows.
    public let caption: String
    /// The SVG document.
    public let svg: String
}
