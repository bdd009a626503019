import Foundation

// snippet.cosine
/// A value per **iteration**, as the reference's `cosine_scheduler`: linear from `startWarmupValue` to
/// `base` over the warm-up iterations (numpy's `linspace`, both ends included), then
/// `final + ½(base − final)(1 + cos(π·i/N))` over the remaining `N` iterations.
///
/// Each value is computed when it is asked for, so a long run stores nothing per iteration.
public struct CosineSchedule: Sendable, Equatable {
    /// The value after the warm-up, the value at the end, and the value the warm-up starts from.
    public let base: Double, final: Double, startWarmupValue: Double
    /// Iterations of linear warm-up, and of the whole run.
    public let warmupIterations: Int, totalIterations: Int

    /// The schedule of a run of `epochs` epochs of `iterationsPerEpoch` iterations.
    public init(base: Double, final: Double, epochs: Int, iterationsPerEpoch: Int, warmupEpochs: Int = 0, startWarmupValue: Double = 0) {
        (self.base, self.final, self.startWarmupValue) = (base, final, startWarmupValue)
        (warmupIterations, totalIterations) = (warmupEpochs * iterationsPerEpoch, epochs * iterationsPerEpoch)
    }

    /// The value at `iteration` (`0 ..< totalIterations`).
    public func value(at iteration: Int) -> Double {
        if iteration < warmupIterations {
            return warmupIterations == 1 ? startWarmupValue
                : startWarmupValue + (base - startWarmupValue) * Double(iteration) / Double(warmupIterations - 1)
        }
        let remaining = totalIterations - warmupIterations
        return final + 0.5 * (base - final) * (1 + Foundation.cos(Double.pi * Double(iteration - warmupIterations) / Double(remaining)))
    }
}

/// Every value of a `CosineSchedule`, one per iteration: `[value(at: 0), …]`.
public func cosineSchedule(base: Double, final: Double, epochs: Int, iterationsPerEpoch: Int,
                           warmupEpochs: Int = 0, startWarmupValue: Double = 0) -> [Double] {
    let schedule = CosineSchedule(base: base, final: final, epochs: epochs, iterationsPerEpoch: iterationsPerEpoch,
                                  warmupEpochs: warmupEpochs, startWarmupValue: startWarmupValue)
    return (0..<max(schedule.totalIterations, schedule.warmupIterations)).map(schedule.value(at:))
}
// snippet.end

/// The reference's linear scaling rule: `lr = base · batch / 256` (0.0005 · 64/256 = 1.25e-4 for B1).
public func scaledLearningRate(base: Double, totalBatchSize: Int) -> Double {
    base * Double(totalBatchSize) / 256
}
