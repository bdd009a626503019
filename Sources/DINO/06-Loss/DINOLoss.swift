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
    /// τ_t for each epoch.
    public let teacherTemperatures: [Float]
    /// The centre (Eq. 4), carried across steps and saved in checkpoints.
    public var center: Center

    /// A loss for a run of `epochs` epochs; throws when an option cannot work.
    public init(_ configuration: LossConfiguration, epochs: Int) throws {
        try configuration.validate(epochs: epochs)
        self.configuration = configuration
        teacherTemperatures = teacherTemperatureSchedule(
            warmupTemperature: configuration.warmupTeacherTemperature, temperature: configuration.teacherTemperature,
            warmupEpochs: configuration.warmupTeacherTemperatureEpochs, epochs: epochs)
        center = Center(dimension: configuration.outputDimension, momentum: configuration.centerMomentum)
    }

    /// τ_t for `epoch` (the last value past the end of the schedule).
    public func teacherTemperature(epoch: Int) -> Float { teacherTemperatures[min(epoch, teacherTemperatures.count - 1)] }

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
        // Each student row (view v, image b) is independent: the rows are spread over the cores, each
        // writing its own gradient row and its own term of the sum, and the terms are added in row order.
        var rowTerms = [Double](repeating: 0, count: views * batch)
        let gradient = Tensor(shape: studentOutput.shape) { gradientBase in
            rowTerms.withUnsafeMutableBufferPointer { terms in
                let (gradientRows, termOfRow) = (SendablePointer(gradientBase), SendablePointer(terms.baseAddress!))
                Parallel.forEachRange(views * batch, grain: 16) { rows in
                    for row in rows {
                        let (v, b) = row.quotientAndRemainder(dividingBy: batch)  // rows are crop-major
                        let partners = (0..<globals).filter { $0 != v }  // same-view pairs are skipped
                        let s = row * width
                        var term = 0.0
                        for i in partners {
                            let t = (i * batch + b) * width
                            var crossEntropy = 0.0
                            for k in 0..<width { crossEntropy -= Double(teacher.scalars[t + k]) * Double(studentLog.scalars[s + k]) }
                            term += crossEntropy
                        }
                        termOfRow.base[row] = term
                        // ∂/∂s of Σ_i H(P_t(i), P_s(v)) = Σ_i (P_s(v) − P_t(i)) / τ_s, then the mean's 1/(|P|·B).
                        for k in 0..<width {
                            var teacherSum: Float = 0
                            for i in partners { teacherSum += teacher.scalars[(i * batch + b) * width + k] }
                            gradientRows.base[s + k] = (Float(partners.count) * student.scalars[s + k] - teacherSum) * scale
                        }
                    }
                }
            }
        }
        let loss = Float(rowTerms.reduce(0, +) / Double(pairCount * batch))
        let teacherEntropy = meanEntropy(teacher)
        let meanTeacher = teacher.sumOverRows() * (1 / Float(teacher.shape[0]))
        let statistics = CollapseStatistics(
            teacherEntropy: teacherEntropy, klDivergence: loss - teacherEntropy,
            meanDistributionEntropy: meanEntropy(meanTeacher.reshaped([1, width])), uniformEntropy: Float(Foundation.log(Double(width))))
        return Result(loss: loss, studentGradient: gradient, statistics: statistics)
    }
    // snippet.end

    /// Eq. 4, after the loss: the centre moves towards the batch mean of the **raw** teacher outputs.
    public mutating func updateCenter(teacherOutput: Tensor) {
        center.update(teacherOutput: teacherOutput)
    }
}

/// `log softmax(x / τ)` over the last axis: `x/τ − max − log Σ exp(x/τ − max)`, stable for any `x`.
public func logSoftmax(_ logits: Tensor, temperature: Float = 1) -> Tensor {
    checkArgument(temperature > 0, "logSoftmax: temperature must be positive, got \(temperature)")
    let width = logits.shape.last!
    let rowCount = width == 0 ? 0 : logits.count / width
    guard rowCount > 0 else { return logits }
    return logits.withBase { base in
        Tensor(shape: logits.shape) { output in
            let (x, y) = (SendablePointer(UnsafeMutablePointer(mutating: base)), SendablePointer(output))
            // Rows are independent: spread over the cores, eight lanes at a time within a row.
            Parallel.forEachRow(rowCount, width: width) { row in
                let (x, y) = (x.base + row * width, y.base + row * width)
                var maximum = -Float.infinity
                for k in 0..<width { maximum = max(maximum, x[k]) }
                maximum /= temperature  // max(x) / τ = max(x / τ): τ > 0, and rounding keeps the order
                var lanes = FloatLanes(repeating: 0)
                var k = 0
                while k + FloatLanes.scalarCount <= width {
                    lanes += fastExp(x.lanes(at: k) / temperature - maximum)
                    k += FloatLanes.scalarCount
                }
                var sum = lanes.sum()
                for k in k..<width { sum += fastExp(x[k] / temperature - maximum) }
                let logSum = Foundation.log(sum)
                for k in 0..<width { y[k] = x[k] / temperature - maximum - logSum }
            }
        }
    }
}
