/*:
 # 10 · Data-parallel DINO on MPI

 One machine has few cores. DINO's reference trains on many GPUs at once, **data-parallel**: every
 process holds the whole model, takes its own share of each batch, and the processes agree after every
 backward pass by summing across one another (`torch.distributed`'s all-reduce). Ours does the same
 with MPI (Open MPI), started by `mpirun`:

 ```sh
 mpirun -np 2 --bind-to none .build/release/ch09-trainer train --preset quick --threads 1 --output-dir runs/quick-2
 ```

 Nothing else changes: `--batch-size` stays the **global** batch (each of the N ranks trains
 `batch/N` images of it, the reference's `batch_size_per_gpu × world_size`), so the learning rate, the
 schedules and the results are those of one process on the same batch. A test runs exactly that with
 two ranks for three steps and finds the losses within 4·10⁻⁸ (relative) and every weight within 5·10⁻⁶
 of one process's (measured on the development machine; the test allows 10⁻⁶ and 5·10⁻⁵ for other
 CPUs). This chapter explains why, piece by piece, in one process (a world of one), and in section 4
 starts two ranks of itself.

 Four words carry the chapter. A **rank** is one of the processes, numbered `0 ..< N`; the **world** is
 all of them, and its size `N` the number of ranks. An **all-reduce** is the collective in which every
 rank contributes an array and every rank receives the elementwise sum of all of them (MPI's
 `MPI_Allreduce`, `torch.distributed.all_reduce`). A **ring** is one way to do it: the ranks pass pieces
 of the array to their neighbour in a circle (section 5 counts what that costs).

 Its code is the `DINODistributed` target (`Sources/DINODistributed/`), the only one that links Open
 MPI, and only when the package's `MPI` trait is on (the default). Where Open MPI is not installed,
 `swift build --disable-default-traits` builds everything else: the trainer then trains on one process,
 and, started by `mpirun`, says how to build it with MPI.
 */
// weave: time 45 min (25 reading and running, 20 for the exercises)
import DINO
import DINOTraining
import DINODistributed
import Figures
import Foundation
import Notebook

/*:
 ## 1. What each rank holds

 Every rank holds the same student, teacher, optimiser state and centre, and computes on its share of
 the batch: rank `r` of `N` takes images `r·B/N ..< (r+1)·B/N` of the global batch. An image's crops
 are drawn from the seed, the epoch and the image's index, never from the rank, so the shares together
 are exactly the batch one process would train on. Only rank 0 prints, evaluates and writes files.
 */
func whatEachRankHolds(_ out: Notebook) {
    let world = Communicator.world
    out.print("this process: rank \(world.rank) of \(world.size) (a world of one: mpirun did not start it)")
    let images = SyntheticShapes.make(count: 16, size: 16, seed: 0)
    let augmentation = MultiCropAugmentation(AugmentationConfiguration(localCropSize: 8, localCropsNumber: 2), globalCropSize: 16, mean: [0], std: [1])
    let alone = CropLoader(dataset: images, augmentation: augmentation, batchSize: 8, seed: 3)
    let order = alone.order(epoch: 0)
    out.print("one process, batch 0:", alone.batch(epoch: 0, index: 0, order: order).indices)
    var together = [Tensor]()
    for rank in 0..<2 {
        let share = CropLoader(dataset: images, augmentation: augmentation, batchSize: 8, seed: 3, rank: rank, ranks: 2)
        let batch = share.batch(epoch: 0, index: 0, order: order)
        out.print("rank \(rank) of 2, batch 0:", batch.indices)
        together.append(batch.crops[0])
    }
    out.print("the two shares' crops are the one batch's:", Tensor.concatenated(together) == alone.batch(epoch: 0, index: 0, order: order).crops[0])
}

/*:
 ## 2. Averaging the gradients, before clipping

 Each rank computes the gradient of the mean loss over its own `B/N` images. The mean of the ranks'
 gradients is then the gradient of the mean loss over all `B`, because the shares are equal. So after
 the backward pass every rank adds up all the ranks' gradients (one all-reduce over the whole model,
 laid end to end) and divides by N:

 @snippet(gradient-averaging)

 The order matters. DINO clips each parameter's gradient norm (chapter 08), and clipping is not linear:
 clipping each rank's gradient and then averaging is not clipping the batch's gradient. PyTorch's DDP
 averages inside `backward()`, so the reference clips the average; so do we. Below, a linear layer's
 weight gradient on a batch of 8, as one process computes it and as two ranks of 4 do:
 */
func averagingTheGradients(_ out: Notebook) {
    var rng = SeededGenerator(seed: 10)
    let layer = Linear(weight: .normal([3, 5], using: &rng), bias: nil), input = Tensor.normal([8, 5], using: &rng)
    let target = Tensor.normal([8, 3], using: &rng)
    // The loss is the mean over rows of ⟨y, target⟩, so ∂L/∂y = target / rows.
    func weightGradient(_ rows: Range<Int>) -> Tensor {
        layer.backward(target.rows(rows) * (1 / Float(rows.count)), input: input.rows(rows)).parameters.weight
    }
    let whole = weightGradient(0..<8)
    let averaged = (weightGradient(0..<4) + weightGradient(4..<8)) * 0.5
    let difference = zip(whole.scalars, averaged.scalars).map { abs($0 - $1) }.max() ?? 0
    out.print("one process:", fixed(whole.scalars.prefix(4), 4), "…")
    out.print("mean of 2 ranks:", fixed(averaged.scalars.prefix(4), 4), "…  equal within 1e-6:", difference < 1e-6)
    func clipped(_ gradient: Tensor, to maximum: Float) -> Tensor {
        let norm = Float(gradient.sumOfSquares().squareRoot())
        return norm > maximum ? gradient * (maximum / norm) : gradient
    }
    let averageThenClip = clipped(averaged, to: 0.5)
    let clipThenAverage = (clipped(weightGradient(0..<4), to: 0.5) + clipped(weightGradient(4..<8), to: 0.5)) * 0.5
    out.print("norm of the batch's gradient:", fixed(Float(whole.sumOfSquares().squareRoot()), 3),
              " average, then clip to 0.5:", fixed(Float(averageThenClip.sumOfSquares().squareRoot()), 3),
              " clip, then average:", fixed(Float(clipThenAverage.sumOfSquares().squareRoot()), 3))
}

/*:
 ## 3. The centre needs the global mean

 The centre (chapter 05) follows the mean of the teacher's outputs over the batch. A rank that updated
 it from its own share would hold its own centre, and the ranks would centre their teachers differently:
 the ranks' losses would no longer be shares of one loss. The reference all-reduces the batch sum of
 the teacher outputs; `Center.update` takes that sum and the number of workers:
 */
func theCentreNeedsTheGlobalMean(_ out: Notebook) {
    var rng = SeededGenerator(seed: 11)
    let teacher = Tensor.normal([8, 4], using: &rng)
    let shares = [teacher.rows(0..<4), teacher.rows(4..<8)]
    var alone = Center(dimension: 4)
    alone.update(teacherOutput: teacher)
    out.print("one process, batch of 8:   ", fixed(alone.value.scalars, 4))
    for (rank, share) in shares.enumerated() {
        var own = Center(dimension: 4), summed = Center(dimension: 4)
        own.update(teacherOutput: share)
        // What the all-reduce hands each rank: its batch sum plus the other rank's.
        summed.update(teacherOutput: share, sumAcrossWorkers: { _ in teacher.sumOverRows() }, workerCount: 2)
        out.print("rank \(rank), own share only:  ", fixed(own.value.scalars, 4))
        out.print("rank \(rank), all-reduced sum: ", fixed(summed.value.scalars, 4))
    }
}

/*:
 ## 4. Two ranks, for real

 The same gradient, now from two processes that `mpirun` starts from this chapter's own program: each
 rank computes its half of the batch and the ranks add their gradients with MPI's all-reduce
 (`Communicator.sum`, the one the trainer uses). Rank 0 prints what it received:
 */
func twoRanksForReal(_ out: Notebook) throws {
    guard Communicator.isAvailable else {
        out.print("this build has no Open MPI (built with --disable-default-traits): install it and build with the default traits")
        return
    }
    // The running program's folder holds this chapter's executable (the test runner's too).
    let running = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments.first ?? ".")
    let program = running.resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("ch10-data-parallel")
    let launcher = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let launcher, FileManager.default.isExecutableFile(atPath: program.path) else {
        out.print("mpirun or \(program.path) is missing: Tools/install-deps.sh installs Open MPI; swift build builds the chapter")
        return
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: launcher)
    process.arguments = ["-np", "2", "--oversubscribe", "--bind-to", "none", program.path]
    // Root may start ranks only when told so (containers often run as root).
    process.environment = ProcessInfo.processInfo.environment.merging(["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]) { $1 }
    let output = Pipe()
    (process.standardOutput, process.standardError) = (output, FileHandle.nullDevice)
    // Awaited with a limit, so that a stuck rank cannot hang the chapter; the ranks print a few lines, far
    // below a pipe's buffer, so the output is read once they have ended.
    let status = try ChildProcess(starting: process).status(within: 300)
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    out.print(text.trimmingCharacters(in: .whitespacesAndNewlines))
    out.print("mpirun exit status:", status)
}

/// What each rank does when `mpirun` starts this program: its half of section 2's batch, the sum of
/// the ranks' gradients by all-reduce, and rank 0's report.
func rankOfTheDemonstration() throws {
    let world = Communicator.world
    var rng = SeededGenerator(seed: 10)
    let layer = Linear(weight: .normal([3, 5], using: &rng), bias: nil), input = Tensor.normal([8, 5], using: &rng)
    let target = Tensor.normal([8, 3], using: &rng)
    let share = 8 / world.size, rows = world.rank * share..<(world.rank + 1) * share
    var gradient = layer.backward(target.rows(rows) * (1 / Float(share)), input: input.rows(rows)).parameters
    try averageGradients(&gradient, across: world)
    let whole = layer.backward(target * (1 / Float(8)), input: input).parameters.weight
    let difference = zip(whole.scalars, gradient.weight.scalars).map { abs($0 - $1) }.max() ?? 0
    if world.rank == 0 {
        print("rank 0 of \(world.size), after the all-reduce:", fixed(gradient.weight.scalars.prefix(4), 4), "…  equal to one process's within 1e-6:", difference < 1e-6)
    }
    world.finish()
}

/*:
 ## 5. What it costs, and what it buys

 Per step each rank sends and receives every gradient once (4 bytes per parameter), the centre's `K`
 sums and the loss:

 @snippet(communication-cost)

 Multi-crop makes each step's compute larger, not its messages: ten crops cost the same bytes as two.
 On one machine the ranks talk through shared memory. Between machines a ring all-reduce cuts the array
 of `S` bytes into `N` pieces of `S/N` and works in two phases of `N − 1` rounds each. In every round each
 rank sends one piece to its neighbour and receives one from the other side. In the first phase
 (reduce-scatter) a received piece is added to the rank's own copy of it, so after `N − 1` rounds each
 rank holds one piece summed over all ranks; in the second (all-gather) the summed pieces travel on
 round the ring until every rank has all of them. Each rank thus sends `2(N − 1)` pieces of `S/N` bytes:
 `2(N − 1)/N · S` in all, under `2S` whatever `N`, and the time is that over the link's bandwidth plus a
 latency for each of the `2(N − 1)` rounds:
 */
func whatItCosts(_ out: Notebook) throws {
    let b1 = try TrainingConfiguration.preset("b1")
    var vitSmall = TrainingConfiguration()
    (vitSmall.architecture, vitSmall.backbone.channels) = ("vit_small", 3)
    let models = [("B1 (ViT 192-d, depth 6, K 4096)", b1), ("ViT-S/16, K 65 536", vitSmall)]
    for (name, configuration) in models {
        let bytes = CommunicationCost.bytesPerStep(backbone: configuration.backbone, head: configuration.head)
        out.print("\(name): \(String(format: "%.1f", Double(bytes) / 1e6)) MB per step")
        for (link, bitsPerSecond) in [("10 Gb/s", 10e9), ("100 Gb/s", 100e9)] {
            let times = [2, 4, 16, 64].map { machines in
                String(format: "N=%d %.0f ms", machines, 1000 * CommunicationCost.ringAllReduceSeconds(bytes: bytes, ranks: machines, bitsPerSecond: bitsPerSecond, latency: 20e-6))
            }
            out.print("   all-reduce over \(link) (20 µs per round):", times.joined(separator: ", "))
        }
    }
}

/*:
 Set against the compute, that is the whole story. Measured on this machine (2 cores, the fast path,
 `Benchmarks/data_parallel_scaling.sh`), two ranks of one thread train B1 at 38.5–38.9 images/s against
 39.9–41.3 for one process of two threads, and the all-reduce of its 35 MB through shared memory takes
 40–49 ms of each 1.65 s step: on one machine, threads are slightly better; ranks are for more machines.
 One B1 step of 64 images takes about 1.6 s in one process; on N such machines each computes 64/N images,
 so the compute shrinks as 1.6/N s while the all-reduce above stays near 55 ms at 10 Gb/s. At 16
 machines it is half the compute (100 ms); at 64, twice the compute (25 ms): the machines would mostly
 talk. A larger model is worse: ViT-S/16 with K = 65 536 sends 176 MB per step, about 270 ms at 10 Gb/s,
 and wants 100 Gb/s links.

 DDP hides part of that cost. The backward pass finishes the gradients in reverse order of the forward
 pass: the head's first, then the backbone's final norm, then the blocks from the last to the first, the
 token embedding last. DDP cuts the gradients into **buckets** in that order and starts each bucket's
 all-reduce as soon as its gradients are complete, while the backward pass computes the earlier layers'.
 Our trainer does the same under `mpirun` (`--overlap-communication`, on by default; `false` sends one
 bucket after the backward pass): each part is summed with a non-blocking `MPI_Iallreduce`, the open
 sums are polled with `MPI_Test` between blocks (this Open MPI moves a sum on only inside its calls), and
 the average is taken, before clipping as always, when the last bucket arrives:

 @snippet(overlapped-averaging)

 A part's gradient is complete only when every resolution group of multi-crop has passed back through
 it, so the hand-over happens in the last group's pass, after the earlier groups' gradients are added:

 @snippet(handing-over)

 The result is the single all-reduce's: each element is still the sum of the same N numbers, divided by
 N. With two ranks that sum is a + b, the same bits in any bucket (a test checks the weights bit for bit,
 in one process group and across simulated machines); with more ranks MPI may add them in another order
 for buckets of other sizes, a difference of rounding.

 ## 6. Across a network, simulated on one machine

 The figures above are a model. One machine can test it: `Tools/cluster-sim.sh` (as root) makes each
 simulated machine a Linux **network namespace** with its own address and host name, joins them with a
 bridge, shapes each link with `tc` to a chosen bandwidth, and has `mpirun` start one rank in each, over
 TCP only, as it would over `ssh`:

 ```sh
 sudo Tools/cluster-sim.sh 2 --bandwidth 1gbit -- --preset quick --threads 1    # train on 2 simulated machines
 sudo Tools/cluster-sim.sh 4 --bandwidth 10gbit --all-reduce                    # time the all-reduce alone
 sudo Benchmarks/cluster_all_reduce.sh                                          # N = 2, 3, 4 at 1 and 10 Gb/s
 ```

 The last writes `Benchmarks/results/cluster-all-reduce.json`: B1's 35.4 MB summed by the ranks alone,
 with no training step beside it (the two cores are shared by every simulated machine, so compute would
 distort the communication), the median of 10 repetitions. This step reads that record, sets it beside
 section 5's model (20 µs a round, the links' nominal bandwidth) and fits the model's two terms, the
 latency per round and the fraction of the nominal bandwidth TCP achieves, to the 1 Gb/s runs:
 */
func acrossANetwork(_ out: Notebook) throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let record = root.appendingPathComponent("Benchmarks/results/cluster-all-reduce.json")
    let measured = try MeasuredAllReduce.read(record)
    out.print("record: \(measured.date), \(measured.cpu)")
    let fit = measured.fit(bitsPerSecond: 1e9)
    out.print(String(format: "fitted to the 1 Gb/s runs: %.0f%% of the nominal bandwidth, %.2f ms per round", 100 * fit.efficiency, 1000 * fit.latency))
    out.print("N  link      all-reduce          measured  model (nominal, 20 µs)  model (fitted)")
    var series = [String: [(x: Double, y: Double)]]()
    for run in measured.runs {
        let model = run.bitsPerSecond.map { CommunicationCost.ringAllReduceSeconds(bytes: run.bytes, ranks: run.machines, bitsPerSecond: $0, latency: 20e-6) }
        let fitted = run.bitsPerSecond.map { CommunicationCost.ringAllReduceSeconds(bytes: run.bytes, ranks: run.machines, bitsPerSecond: $0 * fit.efficiency, latency: fit.latency) }
        let milliseconds = { (value: Double?) in value.map { String(format: "%6.0f ms", 1000 * $0) } ?? "     –   " }
        let algorithm = run.isRing ? "ring" : "Open MPI's choice"
        out.print("\(run.machines)  \(run.link.padding(toLength: 8, withPad: " ", startingAt: 0))  \(algorithm.padding(toLength: 17, withPad: " ", startingAt: 0))  "
                  + "\(milliseconds(run.seconds))  \(milliseconds(model))               \(milliseconds(fitted))")
        series["\(algorithm), \(run.link)", default: []].append((Double(run.machines), 1000 * run.seconds))
        if run.isRing, let model, let fitted {
            series["model, \(run.link) (nominal)", default: []].append((Double(run.machines), 1000 * model))
            if run.bitsPerSecond == 1e9 { series["model, 1 Gb/s (fitted)", default: []].append((Double(run.machines), 1000 * fitted)) }
        }
    }
    let order = ["ring, 1 Gb/s", "model, 1 Gb/s (nominal)", "model, 1 Gb/s (fitted)", "Open MPI's choice, 1 Gb/s",
                 "ring, 10 Gb/s", "model, 10 Gb/s (nominal)"]
    let chart = Chart(title: "All-reduce of B1's 35.4 MB across simulated machines", xLabel: "machines (N)", yLabel: "milliseconds",
                      series: order.compactMap { name in series[name].map { Chart.Series(name, $0, dashed: name.hasPrefix("model")) } })
    out.figure("10-all-reduce-measured.svg", caption: "the all-reduce of B1's gradients, measured across network namespaces and modelled", svg: chart.svg())
}

/*:
 At 1 Gb/s the network sets the time. With the ring (`--ring`, the algorithm section 5 counts), the
 times for 3 and 4 machines (404 and 501 ms) lie 7% and 18% above the model at the nominal rate (378 and
 425 ms), and the fit says TCP through the shaped links delivers about 82% of it; the latency per round
 is too small to resolve at this size (N = 2, at 436 ms above the trend, pulls the best line to a
 negative latency, so it is fitted as 0). Open MPI's own choice of algorithm is not a ring for 3 or 4 ranks, and at this size over 1 Gb/s it
 costs 1.7 to 3 times as much: on a real cluster, measure before trusting a default. At 10 Gb/s the two
 cores, not the links, set the time for 3 and 4 machines (103 and 153 ms, as long as unshaped), the
 ceiling of this machine: only N = 2 (31 ms against 28) says anything about 10 Gb/s. The record and
 this step's table say what a real cluster's measurements would give `CommunicationCost` in place of its
 guesses.

 And the overlap of section 5, measured the same way (`sudo Benchmarks/cluster_overlap.sh 20 1gbit`, B1
 on 2 simulated machines, one thread each, `Benchmarks/results/cluster-overlap.md`): at 1 Gb/s summing
 each part as it is ready shortens the step's wait for its sums by about 50 ms of 310, but the step
 itself stays within the runs' spread (1.39–1.45 s against 1.39–1.49 s). Here the two machines share two
 cores, so the network work that overlap moves into the backward pass takes its cycles from it; between
 real machines it would not. Overlap pays where communication is a large share of the step and the
 machines have cycles to spare for it.

 ## 7. Launching on several machines

 `mpirun` starts the same binary on every machine listed in a hostfile (one line per machine, with
 `slots=` its process count); the binary must be at the same path on each (a shared file system, or
 the same build copied), and `mpirun` reaches the machines by passwordless `ssh`:

 ```sh
 mpirun --hostfile hosts -np 8 --bind-to none /shared/dino/.build/release/ch09-trainer train --preset b1 --threads 2
 ```

 On a cluster with Slurm, `srun -N 4 --ntasks-per-node 2 …/ch09-trainer train …` starts the ranks
 instead. A rank that fails names itself and stops the others (`MPI_Abort`): the others would otherwise
 wait for it forever in their next sum; a rank that is killed makes `mpirun` stop the rest. A machine
 whose network link is cut is subtler: TCP keeps the others waiting for minutes. Each rank therefore
 bounds its wait in a sum by `DINO_COMMUNICATION_DEADLINE` seconds (600 by default, longer than the
 evaluations the other ranks wait through) and then stops the run with a message (`CollectiveDeadline`;
 a test cuts a simulated machine's link and sees the run stop within a minute, its checkpoint whole). Rank 0
 writes every checkpoint, and a checkpoint holds nothing per rank (the batches, the shares and every
 random draw follow from the seed), so `--resume` continues a run on any number of ranks.

 ## Exercises

 1. **Average, then clip.** Write `exerciseAverageThenClip(workerGradients:maximumNorm:)` in
    `Exercises/Stubs/Exercise10/AverageThenClip.swift`: the gradient DDP hands to clipping.
 2. **The ring's cost.** Write `exerciseRingAllReduceSeconds(bytes:machines:bitsPerSecond:latency:)` in
    `Exercises/Stubs/Exercise10/RingAllReduce.swift`. Check both with
    `DINO_EXERCISES=stubs swift test --filter Exercise10`.

 After trying them: [the solutions discussed](exercise-solutions.md#chapter-10), with the wrong answers
 their tests catch.
 */
/// The chapter's steps in reading order (a function: a global in `main.swift` reads 0 under tests).
func chapter() -> Chapter {
    Chapter(number: 10, title: "Data-parallel DINO on MPI", steps: [
        Step("What each rank holds", whatEachRankHolds),
        Step("Averaging the gradients, before clipping", averagingTheGradients),
        Step("The centre needs the global mean", theCentreNeedsTheGlobalMean),
        Step("Two ranks, for real", twoRanksForReal),
        Step("What it costs, and what it buys", whatItCosts),
        Step("Across a network, simulated on one machine", acrossANetwork),
    ])
}

// Started by `mpirun` (section 4), this program is one rank of the demonstration; otherwise the chapter.
if let reason = Communicator.unavailabilityUnderMPIRun {
    try? FileHandle.standardError.write(contentsOf: Data("error: \(reason)\n".utf8))
    exit(1)
} else if Communicator.launchedByMPI {
    do { try rankOfTheDemonstration() } catch { Communicator.world.abortAll(status: 1) }
} else {
    chapter().main()
}
