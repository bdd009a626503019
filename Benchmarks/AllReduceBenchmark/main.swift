import ArgumentParser
import DINO
import DINODistributed
import Foundation

/// `mpirun -np N all-reduce-benchmark`: the gradients' all-reduce alone, without the training step's
/// compute, timed as `Communicator.sum` runs it in the trainer. Each repetition starts together on every
/// rank (a one-value sum first) and is timed on rank 0; prints the median, the fastest and every
/// repetition as JSON. `Tools/cluster-sim.sh N --bandwidth RATE --all-reduce` runs it across simulated machines.
@main
struct AllReduceBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all-reduce-benchmark",
        abstract: "Time the all-reduce of a gradient-sized buffer across the ranks mpirun started.")

    @Option(help: "Bytes summed per all-reduce (default: B1's gradients, CommunicationCost.bytesPerStep).")
    var bytes: Int?

    @Option(help: "Timed repetitions (after two untimed ones).")
    var repeats = 10

    func validate() throws {
        guard repeats >= 1, repeats <= 10_000 else { throw ValidationError("--repeats must be between 1 and 10000, got \(repeats)") }
        if let bytes, bytes < 4 || bytes > 1 << 32 { throw ValidationError("--bytes must be between 4 and 4 GiB, got \(bytes)") }
    }

    func run() throws {
        let world = Communicator.world
        if let reason = Communicator.unavailabilityUnderMPIRun { throw ValidationError(reason) }
        guard world.size > 1 else {
            throw ValidationError("the all-reduce needs at least 2 ranks: run it under mpirun -np N (or Tools/cluster-sim.sh N --all-reduce)")
        }
        // B1: ViT 192-d, depth 6, patch 4 on 28² images; head 2048 / 256 / 4096.
        let b1 = ViTConfiguration(imageSize: 28, patchSize: 4, channels: 1, dimension: 192, depth: 6, heads: 3)
        var head = HeadConfiguration(inputDimension: 192)
        head.outputDimension = 4096
        let count = (bytes ?? CommunicationCost.bytesPerStep(backbone: b1, head: head)) / 4
        var buffer = [Float](repeating: Float(world.rank + 1), count: count)
        var seconds = [Double]()
        for repetition in 0..<(repeats + 2) {
            _ = try world.sum(1.0)  // every rank starts the repetition together
            let start = ContinuousClock.now
            try world.sum(&buffer)
            let elapsed = ContinuousClock.now - start
            if repetition >= 2 { seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) }
        }
        // Each rank added its rank + 1 (and then the sums again): a wrong sum shows here, not as a fast time.
        let expected = Float(world.size * (world.size + 1) / 2) * pow(Float(world.size), Float(repeats + 1))
        guard abs(buffer[0] - expected) <= 1e-3 * expected else {
            throw ValidationError("rank \(world.rank): the all-reduce summed to \(buffer[0]), expected \(expected)")
        }
        if world.rank == 0 {
            let sorted = seconds.sorted()
            let median = sorted[sorted.count / 2]
            let report: [String: Any] = ["ranks": world.size, "bytes": count * 4, "median_seconds": median,
                                         "fastest_seconds": sorted[0], "seconds": seconds]
            let json = try JSONSerialization.data(withJSONObject: report, options: .sortedKeys)
            print(String(decoding: json, as: UTF8.self))
        }
        world.finish()
    }
}
