/// The errors every layer may throw for input from outside: the library traps only on programming
/// errors (`checkShapes`, `checkArgument`); an option, a file or a folder that cannot work throws one
/// of these, with a message naming what was wrong and what was expected.

/// An option or input that cannot work, with a message that says which and what was expected.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// What was wrong and what was expected.
    public let description: String
    /// An error with this message.
    public init(_ description: String) { self.description = description }
}

/// A data file or folder that cannot be used, with its path and what was expected.
public struct DataError: Error, CustomStringConvertible, Equatable {
    /// What was wrong, naming the file, and what to do.
    public let description: String
    /// An error with this message.
    public init(_ description: String) { self.description = description }
}

/// A run that cannot go on, with the step and the quantity at fault.
public struct TrainingError: Error, CustomStringConvertible {
    /// What happened, where, and what was kept.
    public let description: String
    /// An error with this message.
    public init(_ description: String) { self.description = description }
}
