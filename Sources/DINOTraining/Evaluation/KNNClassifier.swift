import DINO
import Foundation

// snippet.knn
/// DINO's weighted k-NN evaluation (the paper's §3.2 on evaluation protocols, the reference's `eval_knn.py`): features are
/// L2-normalised; each test image's `k` most cosine-similar training images vote for their class with
/// weight `exp(similarity / T)`, `T = 0.07`; the prediction is the class with the largest vote.
public enum KNNClassifier {
    /// The neighbour count of the figure DINO reports (k = 20, `eval_knn.py`'s headline).
    public static let headlineK = 20

    /// Top-1 and top-5 accuracy (in %) for each `k`, queries `(M, D)` against a bank `(N, D)`, votes
    /// weighted at `temperature` (`TrainingConfiguration.knnTemperature`).
    public static func evaluate(bank: Tensor, bankLabels: [Int], queries: Tensor, queryLabels: [Int], classCount: Int,
                                ks: [Int], temperature: Float) -> [Int: (top1: Double, top5: Double)] {
        let bank = l2Normalize(bank).output, queries = l2Normalize(queries).output
        let largestK = min(ks.max() ?? 1, bank.shape[0])
        var correct = [Int: (top1: Int, top5: Int)](uniqueKeysWithValues: ks.map { ($0, (0, 0)) })
        let chunk = 256  // queries per product: (256, N) similarities at a time
        for start in stride(from: 0, to: queries.shape[0], by: chunk) {
            let rows = queries.rows(start..<min(start + chunk, queries.shape[0]))
            let similarity = matmul(rows, bank, transposeB: true)  // (chunk, N)
            let width = bank.shape[0]
            for row in 0..<rows.shape[0] {
                let neighbours = topK(similarity.scalars[row * width..<(row + 1) * width], largestK)
                for k in ks {
                    var votes = [Double](repeating: 0, count: classCount)
                    for (index, value) in neighbours.prefix(k) { votes[bankLabels[index]] += exp(Double(value / temperature)) }
                    let ranked = votes.indices.sorted { votes[$0] > votes[$1] }
                    let label = queryLabels[start + row]
                    if ranked.first == label { correct[k, default: (0, 0)].top1 += 1 }
                    if ranked.prefix(5).contains(label) { correct[k, default: (0, 0)].top5 += 1 }
                }
            }
        }
        let total = Double(queries.shape[0])
        return correct.mapValues { (100 * Double($0.top1) / total, 100 * Double($0.top5) / total) }
    }
    // snippet.end

    /// The `k` largest values with their indices, largest first (a bounded insertion list: the bank
    /// is scanned once, and most values fail the first comparison).
    static func topK(_ values: ArraySlice<Float>, _ k: Int) -> [(Int, Float)] {
        var best = [(Int, Float)]()
        best.reserveCapacity(k + 1)
        for (offset, value) in values.enumerated() {
            if best.count == k, value <= best[k - 1].1 { continue }
            var position = best.count
            while position > 0, best[position - 1].1 < value { position -= 1 }
            best.insert((offset, value), at: position)
            if best.count > k { best.removeLast() }
        }
        return best
    }
}

/// A linear probe: a softmax classifier trained on frozen features (standardised per dimension) by
/// full-batch AdamW, evaluated on the test features. Accuracy in %.
public func linearProbeAccuracy(trainFeatures: Tensor, trainLabels: [Int], testFeatures: Tensor, testLabels: [Int],
                                classCount: Int, steps: Int = 300, learningRate: Float = 0.01) -> Double {
    let width = trainFeatures.shape[1]
    let mean = trainFeatures.sumOverRows() * (1 / Float(trainFeatures.shape[0]))
    let meanRows = { (rows: Int) in Tensor(shape: [rows, width], scalars: Array((0..<rows).map { _ in mean.scalars }.joined())) }
    let centred = trainFeatures - meanRows(trainFeatures.shape[0])
    let std = (centred * centred).sumOverRows().scalars.map { ($0 / Float(trainFeatures.shape[0])).squareRoot() + 1e-6 }
    func standardise(_ x: Tensor) -> Tensor {
        let c = x - meanRows(x.shape[0])
        return Tensor(shape: x.shape, scalars: c.scalars.enumerated().map { $0.element / std[$0.offset % width] })
    }
    let (train, test) = (standardise(trainFeatures), standardise(testFeatures))
    var classifier = Linear(weight: Tensor(zeros: [classCount, width]), bias: Tensor(zeros: [classCount]))
    var optimizer = AdamW()
    var oneHot = Tensor(zeros: [train.shape[0], classCount])
    for (row, label) in trainLabels.enumerated() { oneHot.scalars[row * classCount + label] = 1 }
    for _ in 0..<steps {
        let probabilities = softmax(classifier.forward(train).output)
        let gradient = (probabilities - oneHot) * (1 / Float(train.shape[0]))  // ∂ cross-entropy / ∂ logits
        let parameters = classifier.backward(gradient, input: train).parameters
        optimizer.step(&classifier, gradients: parameters, learningRate: learningRate, weightDecay: 1e-4)
    }
    let logits = classifier.forward(test).output
    let correct = testLabels.enumerated().filter { row, label in
        let scores = logits.scalars[row * classCount..<(row + 1) * classCount]
        return scores.indices.max { scores[$0] < scores[$1] }.map { $0 - row * classCount } == label
    }.count
    return 100 * Double(correct) / Double(testLabels.count)
}
