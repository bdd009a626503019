import DINO

/// Exercise 08.1: DINO's cosine schedule with linear warm-up from 0 (book chapter 08, step 1).
///
/// Returns one value per iteration (`epochs · iterationsPerEpoch` values): the warm-up as numpy's
/// `linspace(0, base, warmupIterations)`, then `final + ½(base − final)(1 + cos(π·i/N))` for the
/// remaining `N` iterations.
public func exerciseCosineSchedule(base: Double, final: Double, epochs: Int, iterationsPerEpoch: Int, warmupEpochs: Int) -> [Double] {
    // TODO: the warm-up, then the cosine.
    return []
}
