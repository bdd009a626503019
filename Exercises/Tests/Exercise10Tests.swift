import DINO
import DINODistributed
import DINOTestSupport
import Exercises
import Foundation
import Testing

@Suite(.enabled(if: exercisesEnabled, "set DINO_EXERCISES=stubs (your work) or =solutions"))
struct Exercise10 {
    @Test func averageThenClipByHand() {
        // Rank gradients (3, 0) and (1, 4): the mean (2, 2) has norm 2√2 ≈ 2.83; clipped to 1: (1/√2, 1/√2).
        let ranks = [Tensor([3, 0]), Tensor([1, 4])]
        let half = Float(0.5).squareRoot()
        assertClose(exerciseAverageThenClip(workerGradients: ranks, maximumNorm: 1), Tensor([half, half]), absolute: 1e-6, "clipped mean")
        assertClose(exerciseAverageThenClip(workerGradients: ranks, maximumNorm: 10), Tensor([2, 2]), absolute: 1e-6, "mean within the limit")
        // Negative control: clipping each rank first gives (0.62, 0.49), which the first check rejects.
        let clipFirst = Tensor([0.5 * (1 + 1 / 17.0.squareRoot()), 0.5 * 4 / 17.0.squareRoot()].map(Float.init))
        #expect(compare(clipFirst, Tensor([half, half]), absolute: 1e-6, relative: 1e-5).failures > 0)
    }

    @Test func ringAllReduceByHandAndAgainstTheLibrary() {
        // 4 machines, 1 MB, 8 Mb/s, 1 ms a round: 6 rounds of 250 kB (0.25 s each) plus 6 ms.
        let answer = exerciseRingAllReduceSeconds(bytes: 1_000_000, machines: 4, bitsPerSecond: 8e6, latency: 1e-3)
        #expect(abs(answer - 1.506) < 1e-9, "expected 1.506 s, got \(answer)")
        let alone = exerciseRingAllReduceSeconds(bytes: 1_000_000, machines: 1, bitsPerSecond: 8e6, latency: 1e-3)
        #expect(alone == 0, "expected 0 s for one machine (nothing to exchange), got \(alone)")
        for machines in [2, 16, 64] {
            let expected = CommunicationCost.ringAllReduceSeconds(bytes: 35_000_000, ranks: machines, bitsPerSecond: 10e9, latency: 20e-6)
            let got = exerciseRingAllReduceSeconds(bytes: 35_000_000, machines: machines, bitsPerSecond: 10e9, latency: 20e-6)
            #expect(abs(got - expected) < 1e-9, "N = \(machines): expected \(expected) s, got \(got)")
        }
    }
}
