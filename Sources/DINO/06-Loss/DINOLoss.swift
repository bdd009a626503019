import Foundation

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

/// DINO's loss (Eq. 1–3) exactly as the reference computes it, with its gradient for the student.
///
/// The student sees all `V` crops, the teacher the 2 global ones. For every teacher view `i` and student
/// view `v ≠ i`, the pair's term is the batch mean of `H(P_t(i), P_s(v)) = −Σ_k P_t[i]_k log P_s[v]_k`;
/// the loss is the mean over the `2V − 2` pairs. The centre is updated separately, after the loss.
public struct DINOLoss: Sendable {
    /// The options.
    public let configuration: LossConfiguration
    /// The centre (Eq. 4), carried across steps and saved in checkpoints.
    public var center: Center

    /// A loss for a run of `epochs` epochs; throws when an option cannot work.
    public init(_ configuration: LossConfiguration, epochs: Int) throws {
        try configuration.validate(epochs: epochs)
        self.configuration = configuration
        center = Center(dimension: configuration.outputDimension, momentum: configuration.centerMomentum)
    }

    /// τ_t for `epoch`.
    public func teacherTemperature(epoch: Int) -> Float {
        DINO.teacherTemperature(epoch: epoch, warmupTemperature: configuration.warmupTeacherTemperature,
                                temperature: configuration.teacherTemperature, warmupEpochs: configuration.warmupTeacherTemperatureEpochs)
    }

    /// The loss of one step, `∂loss/∂(student output)` `(V·B, K)`, and the Eq. 5 monitor.
    public struct Result: Sendable {
        /// The mean over pairs of the batch-mean cross-entropy.
        public let loss: Float
        /// The gradient with respect to the student's head outputs `(V·B, K)`.
        public let studentGradient: Tensor
        /// h(P_t), KL(P_t‖P_s), h(mean P_t), ln K.
        public let statistics: CollapseStatistics
    }

    // snippet.loss
    /// Eq. 1–3 for student outputs `(V·B, K)` (crop-major: all images of crop 0, then crop 1, …) and
    /// teacher outputs `(2·B, K)`. Does not touch the centre.
    public func callAsFunction(studentOutput: Tensor, teacherOutput: Tensor, epoch: Int) -> Result {
        let (views, globals, width) = (configuration.cropCount, configuration.globalCropCount, configuration.outputDimension)
        checkShapes(studentOutput.rank == 2 && studentOutput.shape[1] == width && studentOutput.shape[0] % views == 0,
                    "DINOLoss: student output \(studentOutput.shape), expected (\(views)·B, \(width))")
        let batch = studentOutput.shape[0] / views
        checkShapes(teacherOutput.shape == [globals * batch, width],
                    "DINOLoss: teacher output \(teacherOutput.shape), expected \([globals * batch, width])")
        let studentTemperature = configuration.studentTemperature
        let teacher = teacherProbabilities(teacherOutput, center: center, temperature: teacherTemperature(epoch: epoch))
        let student = softmax(studentOutput, temperature: studentTemperature)
        let studentLog = logSoftmax(studentOutput, temperature: studentTemperature)
        let pairCount = globals * (views - 1)  // 2V − 2: every (i, v) with v ≠ i
        let scale = 1 / (Float(pairCount * batch) * studentTemperature)
        if ComputePath.isFast {
            return fastLoss(studentOutput: studentOutput, teacher: teacher, student: student, studentLog: studentLog, batch: batch)
        }
        var gradient = Tensor(zeros: studentOutput.shape)
        var total = 0.0
        for row in 0..<views * batch {
            let (v, b) = row.quotientAndRemainder(dividingBy: batch)  // rows are crop-major
            let s = row * width
            for i in 0..<globals where i != v {  // same-view pairs are skipped
                let t = (i * batch + b) * width
                for k in 0..<width {
                    // H(P_t(i), P_s(v)) = −Σ_k P_t[i]_k log P_s[v]_k, and its gradient (P_s(v) − P_t(i)) / τ_s,
                    // both divided by the |P|·B terms of the mean.
                    total -= Double(teacher.scalars[t + k]) * Double(studentLog.scalars[s + k])
                    gradient.scalars[s + k] += (student.scalars[s + k] - teacher.scalars[t + k]) * scale
                }
            }
        }
        let loss = Float(total / Double(pairCount * batch))
        return Result(loss: loss, studentGradient: gradient,
                      statistics: collapseStatistics(teacher: teacher, loss: loss))
    }
    // snippet.end

    /// Eq. 5's monitor for the teacher's distributions `(2·B, K)` of a step whose loss is `loss`.
    func collapseStatistics(teacher: Tensor, loss: Float) -> CollapseStatistics {
        let width = configuration.outputDimension
        let teacherEntropy = meanEntropy(teacher)
        let meanTeacher = teacher.sumOverRows() * (1 / Float(teacher.shape[0]))
        return CollapseStatistics(
            teacherEntropy: teacherEntropy, klDivergence: loss - teacherEntropy,
            meanDistributionEntropy: meanEntropy(meanTeacher.reshaped([1, width])), uniformEntropy: Float(Foundation.log(Double(width))))
    }

    /// Eq. 4, after the loss: the centre moves towards the batch mean of the **raw** teacher outputs.
    public mutating func updateCenter(teacherOutput: Tensor) {
        center.update(teacherOutput: teacherOutput)
    }
}

// snippet.log-softmax
/// `log softmax(x / τ)` over the last axis: `x/τ − max − log Σ exp(x/τ − max)`, stable for any `x`.
public func logSoftmax(_ logits: Tensor, temperature: Float = 1) -> Tensor {
    checkArgument(temperature > 0, "logSoftmax: temperature must be positive, got \(temperature)")
    if ComputePath.isFast { return fastLogSoftmax(logits, temperature: temperature) }
    let width = logits.shape.last ?? 0
    var result = logits
    for start in stride(from: 0, to: logits.count, by: max(width, 1)) {
        let scaled = logits.scalars[start..<start + width].map { $0 / temperature }
        let maximum = scaled.max() ?? 0
        let logSum = Float(log(scaled.reduce(0.0) { $0 + exp(Double($1 - maximum)) }))
        for (k, value) in scaled.enumerated() { result.scalars[start + k] = value - maximum - logSum }
    }
    return result
}
// snippet.end
