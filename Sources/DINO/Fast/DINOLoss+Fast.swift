extension DINOLoss {
    /// The cross-entropies and the student's gradient on the fast path: each student row (view `v`,
    /// image `b`) is independent, so the rows are spread over the cores, each writing its own gradient row
    /// and its own term of the sum, and the terms are added in row order.
    func fastLoss(studentOutput: Tensor, teacher: Tensor, student: Tensor, studentLog: Tensor, batch: Int) -> Result {
        let (views, globals, width) = (configuration.cropCount, configuration.globalCropCount, configuration.outputDimension)
        let pairCount = globals * (views - 1)
        let scale = 1 / (Float(pairCount * batch) * configuration.studentTemperature)
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
                        // ∂/∂s of Σ_i H(P_t(i), P_s(v)) = Σ_i (P_s(v) − P_t(i)) / τ_s, then the mean's 1/((2V − 2)·B).
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
        return Result(loss: loss, studentGradient: gradient, statistics: collapseStatistics(teacher: teacher, loss: loss))
    }
}
