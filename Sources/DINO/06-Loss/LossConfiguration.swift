/// The options of the loss, with the paper's defaults.
public struct LossConfiguration: Codable, Equatable, Sendable {
    /// `K`.
    public var outputDimension: Int
    /// τ_s (0.1).
    public var studentTemperature: Float = 0.1
    /// τ_t after the warm-up (0.04; the paper's best runs warm up to 0.07).
    public var teacherTemperature: Float = 0.04
    /// τ_t at the start of the warm-up (0.04).
    public var warmupTeacherTemperature: Float = 0.04
    /// Epochs of τ_t warm-up (0: none).
    public var warmupTeacherTemperatureEpochs: Int = 0
    /// The centre's momentum `m` (0.9).
    public var centerMomentum: Float = 0.9
    /// Global crops: the teacher's views (2).
    public var globalCropCount: Int = 2
    /// All crops the student sees, `V` (2 + local crops).
    public var cropCount: Int

    /// The paper's loss for its `K` and ten crops: where every default of the loss is read (the training
    /// options start from it).
    public static let paper = LossConfiguration(outputDimension: HeadConfiguration.paper.outputDimension, cropCount: 10)

    /// A configuration for `K` outputs and `V` crops, other values the paper's.
    public init(outputDimension: Int, cropCount: Int) {
        self.outputDimension = outputDimension
        self.cropCount = cropCount
    }

    /// Throws a message naming the first option that cannot work in a run of `epochs` epochs.
    public func validate(epochs: Int) throws {
        guard outputDimension > 0 else { throw ConfigurationError("out_dim must be positive, got \(outputDimension)") }
        guard studentTemperature > 0 else { throw ConfigurationError("student temperature must be positive, got \(studentTemperature)") }
        guard teacherTemperature > 0, warmupTeacherTemperature > 0 else {
            throw ConfigurationError("teacher temperatures must be positive, got \(warmupTeacherTemperature) → \(teacherTemperature)")
        }
        guard (0...1).contains(centerMomentum) else { throw ConfigurationError("center momentum must be in [0, 1], got \(centerMomentum)") }
        guard globalCropCount >= 2 else { throw ConfigurationError("DINO needs at least two global crops, got \(globalCropCount)") }
        guard cropCount >= globalCropCount else {
            throw ConfigurationError("the student sees \(cropCount) crops, fewer than the \(globalCropCount) global crops")
        }
        guard warmupTeacherTemperatureEpochs >= 0, warmupTeacherTemperatureEpochs <= epochs else {
            throw ConfigurationError("teacher temperature warm-up of \(warmupTeacherTemperatureEpochs) epochs is longer than the run (\(epochs) epochs)")
        }
    }
}
