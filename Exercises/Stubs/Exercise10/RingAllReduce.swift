/// Exercise 10.2: the seconds a ring all-reduce takes (book chapter 10, step 5).
///
/// - Parameters:
///   - bytes: the size of what every machine sums (the gradients, the centre, the loss).
///   - machines: the number of ranks in the ring.
///   - bitsPerSecond: each link's bandwidth.
///   - latency: the seconds of one round, whatever it carries.
/// - Returns: the time of the reduce-scatter and the all-gather, each `N − 1` rounds of `bytes/N`.
public func exerciseRingAllReduceSeconds(bytes: Int, machines: Int, bitsPerSecond: Double, latency: Double) -> Double {
    // TODO: 2(N − 1) rounds, each moving bytes/N over a link, plus a latency per round.
    return 0
}
