import DINO
import Foundation

/// Where a run is: the epoch it is in and how many of that epoch's batches are done.
public struct TrainingState: Codable, Equatable, Sendable {
    /// The current epoch (0-based).
    public var epoch = 0
    /// Batches of the current epoch already trained.
    public var batch = 0
    /// Steps since the start of the run.
    public var iteration = 0
    /// Wall-clock seconds the run has spent training, validating and evaluating, summed across resumes:
    /// the x-axis of a curve against time. Optional so that checkpoints written before it still load.
    public var seconds: Double?

    /// The start of a run.
    public init() {}

    /// Throws unless this position exists in a run of `epochs` epochs of `batchesPerEpoch` batches: a
    /// saved state is outside data, and the schedules and the loader index by it.
    public func validate(epochs: Int, batchesPerEpoch: Int) throws {
        guard (0...epochs).contains(epoch) else { throw DataError("the saved epoch \(epoch) is outside the run's 0…\(epochs)") }
        guard (0..<batchesPerEpoch).contains(batch), epoch < epochs || batch == 0 else {
            throw DataError("the saved batch \(batch) is outside epoch \(epoch)'s 0…\(batchesPerEpoch - 1)")
        }
        guard (seconds ?? 0).isFinite, (seconds ?? 0) >= 0 else { throw DataError("the saved run time \(seconds ?? 0) s is not a duration") }
        // Bounded above (epochs ≤ 100 000, batches ≤ 2³¹): the product cannot overflow.
        guard iteration == epoch * batchesPerEpoch + batch else {
            throw DataError("""
                the saved iteration \(iteration) is not epoch \(epoch) × \(batchesPerEpoch) batches + batch \(batch); \
                the checkpoint is damaged, or the training set has changed size since it was written
                """)
        }
    }

    /// Adds the wall-clock time since `start` to `seconds`.
    mutating func addSeconds(since start: Date) {
        seconds = (seconds ?? 0) + Date().timeIntervalSince(start)
    }
}
