import Foundation

/// The generic training loop: epochs, validation, evaluation, checkpoints, logging and resuming. A
/// method (DINO here) supplies the criterion, one epoch of training, a validation loss and an evaluation;
/// the loop owns everything else. This is the split the seed design calls `BaseTrainer`/`DINOTrainer`.
public protocol BaseTrainer: AnyObject {
    /// What the method minimises.
    associatedtype Criterion
    /// The run's options.
    var configuration: TrainingConfiguration { get }
    /// Where the run is; restored from a checkpoint when resuming.
    var state: TrainingState { get set }
    /// Progress, metrics and charts.
    var log: TrainingLog { get }
    /// Builds the criterion from the options (`create_criterion`).
    func createCriterion() throws -> Criterion
    /// Trains the rest of the current epoch, from `state.batch`, and returns its mean metrics (`train_epoch`).
    func trainEpoch() throws -> [String: Double]
    /// The criterion on held-out data, without gradients and without changing any state (`validate`).
    func validate() throws -> Double
    /// Evaluation metrics of the current model (k-NN and the like).
    func evaluate(final: Bool) throws -> [String: Double]
    /// Writes the checkpoint (and, with `numbered`, a copy named after the epoch).
    func saveCheckpoint(numbered: Bool) throws
}

extension BaseTrainer {
    /// Runs from `state` to the last epoch on `configuration.threads` cores and `configuration.path`:
    /// each epoch trains, validates, evaluates when due, checkpoints and logs. A run resumed from a
    /// checkpoint continues exactly where it stopped.
    public func fit() throws {
        try configuration.withComputeSettings { try runEpochs() }
    }

    private func runEpochs() throws {
        let c = configuration
        while state.epoch < c.epochs {
            var values = try trainEpoch()
            values["validation_loss"] = try validate()
            let final = state.epoch == c.epochs - 1
            if final || (c.evalEvery > 0 && (state.epoch + 1) % c.evalEvery == 0) {
                values.merge(try evaluate(final: final)) { $1 }
            }
            state.epoch += 1
            state.batch = 0
            values["epoch"] = Double(state.epoch)
            values["iteration"] = Double(state.iteration)
            try saveCheckpoint(numbered: c.saveckpFreq > 0 && state.epoch % c.saveckpFreq == 0)
            try log.epoch(values)
            var summary = String(format: "epoch %d/%d done: loss %.4f, validation loss %.4f", state.epoch, c.epochs,
                                 values["loss"] ?? .nan, values["validation_loss"] ?? .nan)
            if let knn = values["knn_top1"] { summary += String(format: ", k-NN top-1 %.2f%% (k = 20)", knn) }
            log.say(summary)
        }
    }
}

/// A run that cannot go on, with the step and the quantity at fault.
public struct TrainingError: Error, CustomStringConvertible {
    /// What happened, where, and what was kept.
    public let description: String
    /// An error with this message.
    public init(_ description: String) { self.description = description }
}
