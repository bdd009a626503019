/// τ_t per **epoch**, as the reference's `DINOLoss`: linear from `warmupTemperature` to `temperature`
/// over `warmupEpochs` (numpy's `linspace`, both ends included), then constant.
public func teacherTemperatureSchedule(warmupTemperature: Float, temperature: Float, warmupEpochs: Int, epochs: Int) -> [Float] {
    let warmup: [Float] = (0..<warmupEpochs).map { i in
        warmupEpochs == 1 ? warmupTemperature
            : Float(Double(warmupTemperature) + Double(temperature - warmupTemperature) * Double(i) / Double(warmupEpochs - 1))
    }
    return warmup + Array(repeating: temperature, count: max(0, epochs - warmupEpochs))
}
