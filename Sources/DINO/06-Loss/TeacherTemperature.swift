/// τ_t for `epoch`, as the reference's `DINOLoss`: linear from `warmupTemperature` to `temperature` over
/// `warmupEpochs` (numpy's `linspace`, both ends included), then constant.
public func teacherTemperature(epoch: Int, warmupTemperature: Float, temperature: Float, warmupEpochs: Int) -> Float {
    guard epoch < warmupEpochs else { return temperature }
    return warmupEpochs == 1 ? warmupTemperature
        : Float(Double(warmupTemperature) + Double(temperature - warmupTemperature) * Double(epoch) / Double(warmupEpochs - 1))
}

/// τ_t for every epoch of a run: `[teacherTemperature(epoch: 0, …), …]`.
public func teacherTemperatureSchedule(warmupTemperature: Float, temperature: Float, warmupEpochs: Int, epochs: Int) -> [Float] {
    (0..<max(epochs, warmupEpochs)).map {
        teacherTemperature(epoch: $0, warmupTemperature: warmupTemperature, temperature: temperature, warmupEpochs: warmupEpochs)
    }
}
