import DINO
import DINOTraining
import DINODistributed
import Foundation
import Testing

/// `mpirun`, where the system has it.
let mpirun = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// Built without the `MPI` trait, a trainer that `mpirun` starts refuses, saying how to build with MPI,
/// instead of training alone into one folder from every process. Runs in CI's build without Open MPI.
@Suite(.enabled(if: !Communicator.isAvailable, "built with the MPI trait: the refusal is for builds without it"),
       .enabled(if: mpirun != nil, "mpirun is not installed (Tools/install-deps.sh installs openmpi-bin)"))
struct WithoutMPITests {
    @Test func underMPIRunTheTrainerSaysHowToBuildWithMPI() throws {
        let folder = try CommandLineTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let outcome = try CommandLineTests.shell(DataParallelTests.launch(2) + CommandLineTests.tinyTraining(folder))
        #expect(outcome.status != 0)
        #expect(outcome.error.contains("built without Open MPI") && outcome.error.contains("swift build"), "\(outcome.error)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("checkpoint.safetensors").path))
        // Without mpirun the same build trains on one process.
        let alone = try CommandLineTests.shell(CommandLineTests.tinyTraining(folder))
        #expect(alone.status == 0, "\(alone.error)")
    }
}

/// Data-parallel training is DINO on the global batch: three steps on 2 ranks (`mpirun -np 2`, each
/// rank half of every batch of 16) against 1 process on the same batches give the same losses, weights
/// and centre within rounding (the ranks' products have other shapes, and their sums another order).
/// DropPath is off: each rank draws its own masks, as each GPU of the reference does.
@Suite(.enabled(if: Communicator.isAvailable, "built without the MPI trait (--disable-default-traits)"),
       .enabled(if: mpirun != nil, "mpirun is not installed (Tools/install-deps.sh installs openmpi-bin)"))
struct DataParallelTests {
    static func train(_ folder: URL, ranks: Int, epochs: Int = 1, extra: String = "", environment: String = "") throws -> CommandLineTests.Outcome {
        try CommandLineTests.shell(environment + launch(ranks) + "$BIN/ch09-trainer train " + options(folder, epochs: epochs) + " " + extra)
    }

    /// The training options of these tests: a tiny model on 48 synthetic images, 3 steps an epoch.
    static func options(_ folder: URL, epochs: Int = 1) -> String {
        "--dataset synthetic --train-subset 48 --eval-test-subset 8 --depth 1 --patch-size 7 --out-dim 32 "
            + "--global-crop-size 28 --local-crops-number 2 --local-crop-size 14 --batch-size 16 --epochs \(epochs) --warmup-epochs 0 "
            + "--drop-path-rate 0 --threads 1 --output-dir '\(folder.path)'"
    }

    /// `mpirun` for `ranks` processes (nothing for one). Root may run it only when told so (CI containers
    /// run as root); one core may hold both ranks.
    static func launch(_ ranks: Int) -> String {
        ranks == 1 ? "" : "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \(mpirun ?? "mpirun") -np \(ranks) --oversubscribe --bind-to none "
    }

    /// The largest difference between two checkpoints' weights and centres.
    static func largestDifference(_ first: URL, _ second: URL) throws -> (name: String, difference: Float) {
        let (a, b) = (try SafeTensors.read(first), try SafeTensors.read(second))
        var worst = (name: "", difference: Float(0))
        for (name, tensor) in a where name.hasPrefix("student.") || name.hasPrefix("teacher.") || name == "dino_loss.center" {
            guard let other = b[name], other.shape == tensor.shape else { return (name, .infinity) }
            for (x, y) in zip(tensor.scalars, other.scalars) where abs(x - y) > worst.difference { worst = (name, abs(x - y)) }
        }
        return worst
    }

    @Test func aRunResumesOnAnotherNumberOfRanks() throws {
        // One process trains two epochs, keeping epoch 1's checkpoint; a copy resumes from it on two ranks.
        let (alone, resumed) = (try CommandLineTests.folder(), try CommandLineTests.folder())
        defer { for folder in [alone, resumed] { try? FileManager.default.removeItem(at: folder) } }
        let straight = try Self.train(alone, ranks: 1, epochs: 2, extra: "--saveckp-freq 1 --eval-every 0")
        #expect(straight.status == 0, "\(straight.error)")
        try FileManager.default.copyItem(at: alone.appendingPathComponent("checkpoint0001.safetensors"),
                                         to: resumed.appendingPathComponent("checkpoint.safetensors"))
        let outcome = try CommandLineTests.shell(Self.launch(2) + "$BIN/ch09-trainer train --resume --threads 1 --output-dir '\(resumed.path)'")
        #expect(outcome.status == 0, "\(outcome.output)\n\(outcome.error)")
        #expect(outcome.output.contains("resumed from"), "\(outcome.output)")
        let worst = try Self.largestDifference(alone.appendingPathComponent("checkpoint.safetensors"), resumed.appendingPathComponent("checkpoint.safetensors"))
        #expect(worst.difference < 1e-4, "expected every weight within 1e-4 of the run that never stopped, got \(worst.difference) in \(worst.name)")
        // Negative control: the checkpoint it resumed from is an epoch behind, far beyond that.
        let behind = try Self.largestDifference(alone.appendingPathComponent("checkpoint0001.safetensors"), alone.appendingPathComponent("checkpoint.safetensors"))
        #expect(behind.difference > 1e-3, "the second epoch changed the weights by only \(behind.difference)")
    }

    static func stepLosses(_ folder: URL) throws -> [Double] {
        try String(contentsOf: folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["type"] as? String == "step" }.compactMap { $0["loss"] as? Double }
    }

    /// The largest difference between the tensors of `first` and `second` under `prefix`, relative to
    /// each tensor's largest magnitude in `first`, with `second` scaled by `scale`.
    static func largestRelativeDifference(_ first: [String: Tensor], _ second: [String: Tensor], prefix: String, scale: Float = 1) -> (name: String, difference: Float) {
        var worst = (name: "", difference: Float(0))
        for (name, a) in first where name.hasPrefix(prefix) {
            guard let b = second[name], b.shape == a.shape else { return (name, .infinity) }
            let size = a.scalars.map(abs).max() ?? 0
            guard size > 0 else { continue }
            for (x, y) in zip(a.scalars, b.scalars) where abs(x - scale * y) / size > worst.difference { worst = (name, abs(x - scale * y) / size) }
        }
        return worst
    }

    @Test func theAveragedGradientsAreOneProcesssOnTheGlobalBatch() throws {
        let (one, two) = (try CommandLineTests.folder(), try CommandLineTests.folder())
        defer { for folder in [one, two] { try? FileManager.default.removeItem(at: folder) } }
        let (dumpOne, dumpTwo) = (one.appendingPathComponent("gradients.safetensors"), two.appendingPathComponent("gradients.safetensors"))
        let single = try Self.train(one, ranks: 1, extra: "", environment: "DINO_GRADIENT_DUMP='\(dumpOne.path)' ")
        let parallel = try Self.train(two, ranks: 2, extra: "", environment: "DINO_GRADIENT_DUMP='\(dumpTwo.path)' ")
        #expect(single.status == 0 && parallel.status == 0, "\(single.error)\n\(parallel.error)")
        let (a, b) = (try SafeTensors.read(dumpOne), try SafeTensors.read(dumpTwo))
        #expect(Set(a.keys) == Set(b.keys) && a.keys.contains { $0.hasPrefix("clipped.") })
        // Every gradient, before and after clipping, within `gradientTolerance` of its largest element.
        for stage in ["averaged.", "clipped."] {
            let worst = Self.largestRelativeDifference(a, b, prefix: stage)
            if ProcessInfo.processInfo.environment["DINO_TRACE_REPORT"] != nil { print("\(stage) worst \(worst.difference) in \(worst.name)") }
            #expect(worst.difference < Self.gradientTolerance, "\(stage) gradients differ by \(worst.difference) of their size in \(worst.name)")
            // Negative control: summed instead of averaged (twice the mean on 2 ranks), they are far off.
            let summed = Self.largestRelativeDifference(a, b, prefix: stage, scale: 2)
            #expect(summed.difference > 100 * Self.gradientTolerance, "a sum in place of the mean differs by only \(summed.difference)")
        }
    }

    /// Measured on the 2-core Zen 4: the worst gradient element within 8.1e-7 of its tensor's largest
    /// (Haswell kernels; SkylakeX 4.8e-7, Prescott 3.3e-7), before and after clipping; the bound leaves 5×.
    static let gradientTolerance: Float = 4e-6

    @Test func bucketsSummedDuringTheBackwardPassGiveTheSingleAllReducesWeights() throws {
        let (overlapped, oneBucket) = (try CommandLineTests.folder(), try CommandLineTests.folder())
        defer { for folder in [overlapped, oneBucket] { try? FileManager.default.removeItem(at: folder) } }
        let first = try Self.train(overlapped, ranks: 2, extra: "--overlap-communication true")
        let second = try Self.train(oneBucket, ranks: 2, extra: "--overlap-communication false")
        #expect(first.status == 0 && second.status == 0, "\(first.error)\n\(second.error)")
        // On 2 ranks every element is a + b in both, and the same division: the same bits.
        let worst = try Self.largestDifference(overlapped.appendingPathComponent("checkpoint.safetensors"), oneBucket.appendingPathComponent("checkpoint.safetensors"))
        #expect(worst.difference == 0, "expected the same weights, got a difference of \(worst.difference) in \(worst.name)")
        // Negative control: one process's run (other sums of the batch) differs, so equality says something.
        let alone = try CommandLineTests.folder()
        defer { try? FileManager.default.removeItem(at: alone) }
        #expect(try Self.train(alone, ranks: 1).status == 0)
        let other = try Self.largestDifference(alone.appendingPathComponent("checkpoint.safetensors"), oneBucket.appendingPathComponent("checkpoint.safetensors"))
        #expect(other.difference > 0)
    }

    @Test func twoRanksTrainAsOneProcessOnTheGlobalBatch() throws {
        let (one, two) = (try CommandLineTests.folder(), try CommandLineTests.folder())
        defer { for folder in [one, two] { try? FileManager.default.removeItem(at: folder) } }
        let single = try Self.train(one, ranks: 1), parallel = try Self.train(two, ranks: 2)
        #expect(single.status == 0, "\(single.error)")
        #expect(parallel.status == 0, "\(parallel.output)\n\(parallel.error)")
        let (lossesOne, lossesTwo) = (try Self.stepLosses(one), try Self.stepLosses(two))
        #expect(lossesOne.count == 3 && lossesTwo.count == 3, "expected 3 steps each, got \(lossesOne) and \(lossesTwo)")
        // Measured on the 2-core Zen 4 (Haswell kernels): the losses within 4.0e-8 of each other, relative.
        for (a, b) in zip(lossesOne, lossesTwo) { #expect(abs(a - b) <= 1e-6 * abs(a), "expected the loss \(a), got \(b) on 2 ranks") }
        // Negative control: successive steps' losses differ far beyond that tolerance.
        #expect(abs(lossesOne[0] - lossesOne[1]) > 1e-3 * lossesOne[0])
        // The evaluation's features, computed half on each rank and gathered, vote as one process's do.
        let knn = { (folder: URL) throws -> Double? in
            try String(contentsOf: folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
                .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .last { $0["type"] as? String == "epoch" }?["knn_top1_k10"] as? Double
        }
        let (knnOne, knnTwo) = (try knn(one), try knn(two))
        #expect(knnOne != nil && knnOne == knnTwo, "expected the k-NN top-1 \(String(describing: knnOne)), got \(String(describing: knnTwo)) on 2 ranks")
        let (a, b) = (try SafeTensors.read(one.appendingPathComponent("checkpoint.safetensors")),
                      try SafeTensors.read(two.appendingPathComponent("checkpoint.safetensors")))
        #expect(Set(a.keys) == Set(b.keys))
        let worst = try Self.largestDifference(one.appendingPathComponent("checkpoint.safetensors"), two.appendingPathComponent("checkpoint.safetensors"))
        // Measured on the 2-core Zen 4 (Haswell kernels): every weight within 5.0e-6 (head.mlp.2), the
        // centre within 3.7e-9; the bounds leave a factor of 10 and 27 for other kernels' sums.
        #expect(worst.difference < 5e-5, "expected every weight within 5e-5 of one process's, got \(worst.difference) in \(worst.name)")
        // The centre agrees within 1e-7, and it moved away from zero, so the agreement says something.
        let center = try #require(a["dino_loss.center"]), otherCenter = try #require(b["dino_loss.center"])
        #expect(zip(center.scalars, otherCenter.scalars).allSatisfy { abs($0 - $1) < 1e-7 })
        #expect(center.scalars.contains { abs($0) > 1e-3 }, "the centre moved in three steps")
    }

    @Test func aRankThatFailsStopsEveryRankWithItsName() throws {
        // Rank 0 cannot use its output folder (it is a file); rank 1 would wait for it forever.
        let scratch = try CommandLineTests.folder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let notAFolder = scratch.appendingPathComponent("run")
        try Data("a file".utf8).write(to: notAFolder)
        let started = Date()
        let outcome = try Self.train(notAFolder, ranks: 2)
        #expect(outcome.status != 0)
        #expect(outcome.error.contains("error: rank 0 of 2:"), "\(outcome.error)")
        #expect(Date().timeIntervalSince(started) < 120, "the other rank was left waiting")
        #expect(try Data(contentsOf: notAFolder) == Data("a file".utf8))
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self"), "finds the rank to kill through /proc (Linux)"))
    func aRankThatIsKilledStopsEveryRankAndLeavesNoPartialCheckpoint() throws {
        let folder = try CommandLineTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try ChildProcess("/bin/bash", ["-c", "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 exec \(mpirun ?? "mpirun") -np 2 --oversubscribe --bind-to none "
            + "'\(CommandLineTests.binaries.path)/ch09-trainer' train --dataset synthetic --train-subset 96 --eval-test-subset 8 --depth 1 "
            + "--patch-size 7 --out-dim 32 --global-crop-size 28 --local-crops-number 2 --local-crop-size 14 --batch-size 16 --epochs 3 "
            + "--warmup-epochs 0 --checkpoint-every-iterations 2 --threads 1 --output-dir '\(folder.path)'"])
        // Wait (at most 90 s) for two steps, then kill rank 1 outright.
        let metrics = folder.appendingPathComponent("metrics.jsonl")
        for _ in 0..<450 where ((try? String(contentsOf: metrics, encoding: .utf8)) ?? "").components(separatedBy: "\"step\"").count < 3 {
            Thread.sleep(forTimeInterval: 0.2)
        }
        let rankOne = try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap(Int32.init).first { pid in
            let environment = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))) ?? Data()
            let command = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
            return environment.split(separator: 0).contains(Data("OMPI_COMM_WORLD_RANK=1".utf8))
                && String(decoding: command, as: UTF8.self).contains(folder.path)
        }
        let victim = try #require(rankOne, "rank 1 of the run was not found")
        kill(victim, SIGKILL)
        #expect(run.wait(seconds: 60), "the run kept going (or hung) after rank 1 was killed")
        #expect(run.process.terminationStatus != 0)
        // Whatever checkpoint rank 0 had written is whole: renamed into place, every tensor's checksum right.
        let checkpoint = folder.appendingPathComponent("checkpoint.safetensors")
        if FileManager.default.fileExists(atPath: checkpoint.path) {
            #expect(throws: Never.self) { _ = try Checkpoint.verifiedTensors(checkpoint) }
        }
    }
}
