import DINO

/// Exercise 09.1: the weighted k-NN vote of DINO's evaluation (book chapter 09, step 4).
///
/// - Parameters:
///   - similarities: the cosine similarity of one query to every image of the bank.
///   - labels: the bank's labels.
///   - classCount: the number of classes.
///   - k: how many nearest neighbours vote.
///   - temperature: each neighbour votes `exp(similarity / temperature)` for its class.
/// - Returns: the class with the largest total vote.
public func exerciseKNNVote(similarities: [Float], labels: [Int], classCount: Int, k: Int, temperature: Float) -> Int {
    // TODO: the k largest similarities, their weighted votes, the arg-max.
    return -1
}
