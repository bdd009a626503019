/// Where a run is: the epoch it is in and how many of that epoch's batches are done.
public struct TrainingState: Codable, Equatable, Sendable {
    /// The current epoch (0-based).
    public var epoch = 0
    /// Batches of the current epoch already trained.
    public var batch = 0
    /// Steps since the start of the run.
    public var iteration = 0

    /// The start of a run.
    public init() {}
}
