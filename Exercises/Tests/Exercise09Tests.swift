import DINO
import DINOTraining
import DINOTestSupport
import Exercises
import Foundation
import Testing

@Suite(.enabled(if: exercisesEnabled, "set DINO_EXERCISES=stubs (your work) or =solutions"))
struct Exercise09 {
    @Test func closeNeighboursOutvoteManyFarOnes() {
        // k = 3: one neighbour of class 1 at 0.9 outweighs two of class 0 at 0.7 (e^(0.9/0.07) > 2·e^(0.7/0.07)).
        let answer = exerciseKNNVote(similarities: [0.7, 0.9, 0.7, -0.5], labels: [0, 1, 0, 0], classCount: 2, k: 3, temperature: 0.07)
        #expect(answer == 1, "T = 0.07: expected class 1 (the close neighbour), got \(answer)")
        // With a high temperature the votes are nearly equal and the majority wins.
        let majority = exerciseKNNVote(similarities: [0.7, 0.9, 0.7, -0.5], labels: [0, 1, 0, 0], classCount: 2, k: 3, temperature: 10)
        #expect(majority == 0, "T = 10: expected class 0 (the majority), got \(majority)")
    }

    @Test func onlyTheKNearestVote() {
        // Two close neighbours of class 1, four far ones of class 0, nearly equal weights (T = 10): with
        // k = 2 only class 1 votes; a vote over every neighbour would give class 0 (4 votes against 2).
        let similarities: [Float] = [0.1, 0.9, 0.1, 0.8, 0.1, 0.1], labels = [0, 1, 0, 1, 0, 0]
        let answer = exerciseKNNVote(similarities: similarities, labels: labels, classCount: 2, k: 2, temperature: 10)
        #expect(answer == 1, "k = 2: expected class 1 (the two nearest are both class 1), got \(answer)")
        let everyone = exerciseKNNVote(similarities: similarities, labels: labels, classCount: 2, k: 6, temperature: 10)
        #expect(everyone == 0, "k = 6: expected class 0 (four of the six neighbours), got \(everyone)")
    }

    @Test func agreesWithTheLibraryClassifier() {
        var rng = SeededGenerator(seed: 9)
        let bank = Tensor.normal([40, 6], using: &rng), queries = Tensor.normal([10, 6], using: &rng)
        let labels = (0..<40).map { $0 % 4 }
        let normalizedBank = l2Normalize(bank).output, normalizedQueries = l2Normalize(queries).output
        let similarities = matmul(normalizedQueries, normalizedBank, transposeB: true)
        let predicted = (0..<10).map { row in
            exerciseKNNVote(similarities: Array(similarities.scalars[row * 40..<(row + 1) * 40]), labels: labels, classCount: 4, k: 5, temperature: 0.07)
        }
        // Scored against the exercise's labels, the library is right every time only if they agree.
        let accuracy = KNNClassifier.evaluate(bank: bank, bankLabels: labels, queries: queries, queryLabels: predicted, classCount: 4, ks: [5], temperature: 0.07)[5]?.top1
        #expect(accuracy == 100, "expected the library's predictions for all 10 queries, got \(predicted), which it scores \(accuracy ?? 0)%")
    }
}
