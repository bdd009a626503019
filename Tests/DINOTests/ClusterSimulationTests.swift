@testable import DINODistributed
import DINOTestSupport
import Foundation
import Testing

/// Whether this process may create network namespaces (root, with iproute2): a probe namespace made and removed.
let namespacesWork: Bool = {
    guard getuid() == 0, (try? CommandLineTests.shell("command -v ip && command -v tc && command -v unshare").status) == 0 else { return false }
    let probe = "dino-probe-\(getpid())"
    return (try? CommandLineTests.shell("ip netns add \(probe) && ip netns del \(probe)").status) == 0
}()

/// Data-parallel training across machines simulated by `Tools/cluster-sim.sh`: two network namespaces on a
/// bridge, each link shaped to 1 Gb/s, Open MPI over TCP only. The run must train as one process does (the
/// equivalence test's tolerances), leave no namespace behind, and stop with a message when a machine's
/// link is cut.
@Suite(.enabled(if: Communicator.isAvailable, "built without the MPI trait (--disable-default-traits)"),
       .enabled(if: mpirun != nil, "mpirun is not installed (Tools/install-deps.sh installs openmpi-bin)"),
       .enabled(if: namespacesWork, "network namespaces cannot be created here (needs root and iproute2)"),
       .serialized)
struct ClusterSimulationTests {
    static let script = Fixture.folder.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tools/cluster-sim.sh").path

    static func namespacesLeft() throws -> String {
        try CommandLineTests.shell("ip netns list | grep '^dinosim' || true").output
    }

    @Test func twoSimulatedMachinesAt1GbitTrainAsOneProcess() throws {
        let (one, two) = (try CommandLineTests.folder(), try CommandLineTests.folder())
        defer { for folder in [one, two] { try? FileManager.default.removeItem(at: folder) } }
        let before = try Self.namespacesLeft()
        let alone = try DataParallelTests.train(one, ranks: 1)
        let options = DataParallelTests.options(two)
        let cluster = try CommandLineTests.shell("DINO_CLUSTER_BINARY=\"$BIN/ch09-trainer\" '\(Self.script)' 2 --bandwidth 1gbit -- \(options)")
        #expect(alone.status == 0, "\(alone.error)")
        #expect(cluster.status == 0, "\(cluster.output)\n\(cluster.error)")
        #expect(cluster.error.contains("2 machines (10.77.0.1-2), links 1gbit"), "\(cluster.error)")
        let (lossesOne, lossesTwo) = (try DataParallelTests.stepLosses(one), try DataParallelTests.stepLosses(two))
        #expect(lossesOne.count == 3 && lossesTwo.count == 3, "expected 3 steps each, got \(lossesOne) and \(lossesTwo)")
        for (a, b) in zip(lossesOne, lossesTwo) { #expect(abs(a - b) <= 1e-6 * abs(a), "expected the loss \(a), got \(b) on 2 machines") }
        let worst = try DataParallelTests.largestDifference(one.appendingPathComponent("checkpoint.safetensors"), two.appendingPathComponent("checkpoint.safetensors"))
        #expect(worst.difference < 5e-5, "expected every weight within 5e-5 of one process's, got \(worst.difference) in \(worst.name)")
        // The gradients summed in buckets during the backward pass (the default) or in one all-reduce
        // after it: on 2 ranks every sum is a + b either way, so the weights are the same bits.
        let single = try CommandLineTests.folder()
        defer { try? FileManager.default.removeItem(at: single) }
        let oneBucket = try CommandLineTests.shell("DINO_CLUSTER_BINARY=\"$BIN/ch09-trainer\" '\(Self.script)' 2 --bandwidth 1gbit -- "
            + DataParallelTests.options(single) + " --overlap-communication false")
        #expect(oneBucket.status == 0, "\(oneBucket.error)")
        let same = try DataParallelTests.largestDifference(two.appendingPathComponent("checkpoint.safetensors"), single.appendingPathComponent("checkpoint.safetensors"))
        #expect(same.difference == 0, "overlapped and single all-reduce differ by \(same.difference) in \(same.name)")
        // The ranks talked over the bridge: each step logged its all-reduce, and nothing is left behind.
        let steps = try String(contentsOf: two.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(steps.contains("all_reduce_seconds"))
        #expect(try Self.namespacesLeft() == before, "namespaces left behind")
    }

    @Test func aCutLinkStopsTheRunWithAMessageAndNothingIsLeftBehind() throws {
        let folder = try CommandLineTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let before = try Self.namespacesLeft()
        // Machine 2's link goes down after the first checkpoint; within the deadline (10 s) the run stops.
        let options = DataParallelTests.options(folder, epochs: 200) + " --checkpoint-every-iterations 1 --eval-every 0"
        let started = Date()
        let outcome = try CommandLineTests.shell("""
            DINO_COMMUNICATION_DEADLINE=10 DINO_CLUSTER_BINARY="$BIN/ch09-trainer" '\(Self.script)' 2 --bandwidth 1gbit -- \(options) &
            sim=$!
            for _ in $(seq 600); do [ -f '\(folder.path)/checkpoint.safetensors' ] && break; sleep 0.1; done
            namespace=$(ip netns list | grep -o "^dinosim[0-9]*-2" | head -1)
            ip -n "$namespace" link set eth0 down
            wait $sim
            """)
        let seconds = Date().timeIntervalSince(started)
        #expect(outcome.status != 0, "the run went on after its link was cut")
        #expect(outcome.error.contains("no answer from the other ranks"), "\(outcome.error.suffix(2000))")
        #expect(seconds < 90, "stopping took \(Int(seconds)) s")
        #expect(try Self.namespacesLeft() == before, "namespaces left behind")
        // The checkpoint on disk is whole: its checksums verify where it is read.
        let features = try CommandLineTests.shell("$BIN/ch09-trainer features --checkpoint '\(folder.path)/checkpoint.safetensors' --split test "
            + "--output '\(folder.path)/features.safetensors'")
        #expect(features.status == 0, "\(features.output)\n\(features.error)")
    }
}
