import DINO

/// Exercise 06.2: the teacher temperature per **epoch** (book chapter 06, step 3): numpy's
/// `linspace(warmupTemperature, temperature, warmupEpochs)` (both ends included), then `temperature`
/// for the remaining epochs; `epochs` values in all.
public func exerciseTeacherTemperatureSchedule(warmupTemperature: Float, temperature: Float, warmupEpochs: Int, epochs: Int) -> [Float] {
    let warmup = (0..<warmupEpochs).map { epoch in
        warmupEpochs == 1 ? warmupTemperature
            : warmupTemperature + (temperature - warmupTemperature) * Float(epoch) / Float(warmupEpochs - 1)
    }
    return warmup + Array(repeating: temperature, count: epochs - warmupEpochs)
}
