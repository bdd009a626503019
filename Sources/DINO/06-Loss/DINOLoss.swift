import Foundation

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
                    // both divided by the (2V − 2)·B terms of the mean (pairs × images).
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

    /// Eq. 4, after the loss: the centre moves towards the batch mean of the **raw** teacher outputs
    /// (over every worker's batch when `sumAcrossWorkers` adds them up, as chapter 10 does).
    public mutating func updateCenter(teacherOutput: Tensor, sumAcrossWorkers: (Tensor) -> Tensor = { $0 }, workerCount: Int = 1) {
        center.update(teacherOutput: teacherOutput, sumAcrossWorkers: sumAcrossWorkers, workerCount: workerCount)
    }
}
