import DINO
import Foundation

/// Exercise 08.1: DINO's cosine schedule with linear warm-up from 0 (book chapter 08, step 1).
///
/// Returns one value per iteration (`epochs · iterationsPerEpoch` values): the warm-up as numpy's
/// `linspace(0, base, warmupIterations)`, then `final + ½(base − final)(1 + cos(π·i/N))` for the
/// remaining `N` iterations.
public func exerciseCosineSchedule(base: Double, final: Double, epochs: Int, iterationsPerEpoch: Int, warmupEpochs: Int) -> [Double] {
    let warmup = warmupEpochs * iterationsPerEpoch
    let remaining = epochs * iterationsPerEpoch - warmup
    let rising = (0..<warmup).map { warmup == 1 ? 0 : base * Double($0) / Double(warmup - 1) }
    let falling = (0..<remaining).map { final + 0.5 * (base - final) * (1 + cos(Double.pi * Double($0) / Double(remaining))) }
    return rising + falling
}
