import Foundation

// snippet.cosine
/// A value per **iteration**, as the reference's `cosine_scheduler`: linear from `startWarmupValue` to
/// `base` over the warm-up iterations (numpy's `linspace`, both ends included), then
/// `final + ½(base − final)(1 + cos(π·i/N))` over the remaining `N` iterations.
public func cosineSchedule(base: Double, final: Double, epochs: Int, iterationsPerEpoch: Int,
                           warmupEpochs: Int = 0, startWarmupValue: Double = 0) -> [Double] {
    let warmupIterations = warmupEpochs * iterationsPerEpoch
    let warmup = (0..<warmupIterations).map { i in
        warmupIterations == 1 ? startWarmupValue
            : startWarmupValue + (base - startWarmupValue) * Double(i) / Double(warmupIterations - 1)
    }
    let remaining = epochs * iterationsPerEpoch - warmupIterations
    let cosine = (0..<max(remaining, 0)).map { i in
        final + 0.5 * (base - final) * (1 + Foundation.cos(Double.pi * Double(i) / Double(remaining)))
    }
    return warmup + cosine
}
// snippet.end

/// The reference's linear scaling rule: `lr = base · batch / 256` (0.0005 · 64/256 = 1.25e-4 for B1).
public func scaledLearningRate(base: Double, totalBatchSize: Int) -> Double {
    base * Double(totalBatchSize) / 256
}
