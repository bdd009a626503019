/// A run that cannot go on, with the step and the quantity at fault.
public struct TrainingError: Error, CustomStringConvertible {
    /// What happened, where, and what was kept.
    public let description: String
    /// An error with this message.
    public init(_ description: String) { self.description = description }
}
