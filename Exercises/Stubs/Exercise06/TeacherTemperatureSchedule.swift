import DINO

/// Exercise 06.2: the teacher temperature per **epoch** (book chapter 06, step 3): numpy's
/// `linspace(warmupTemperature, temperature, warmupEpochs)` (both ends included), then `temperature`
/// for the remaining epochs; `epochs` values in all.
public func exerciseTeacherTemperatureSchedule(warmupTemperature: Float, temperature: Float, warmupEpochs: Int, epochs: Int) -> [Float] {
    // TODO: the linear warm-up, then constant.
    return []
}
