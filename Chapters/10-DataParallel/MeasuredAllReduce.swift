import DINO
import Foundation

/// The all-reduce times that `Benchmarks/cluster_all_reduce.sh` recorded across simulated machines, and
/// the ring model's two terms fitted to them (section 6).
struct MeasuredAllReduce {
    struct Run {
        let machines: Int, bytes: Int, seconds: Double
        /// "1 Gb/s", "10 Gb/s" or "unshaped".
        let link: String
        /// Open MPI's ring all-reduce (`--ring`), or the algorithm it picks itself.
        let isRing: Bool
        /// The links' nominal rate; nil when unshaped.
        let bitsPerSecond: Double?
    }
    let date: String, cpu: String
    let runs: [Run]

    /// Reads the record; throws a message naming the file when it is missing or not the benchmark's.
    static func read(_ url: URL) throws -> MeasuredAllReduce {
        guard let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let runs = json["runs"] as? [[String: Any]] else {
            throw DataError("cannot read \(url.path): run `sudo Benchmarks/cluster_all_reduce.sh` to measure it")
        }
        let rates = ["1gbit": (1e9, "1 Gb/s"), "10gbit": (10e9, "10 Gb/s")]
        return MeasuredAllReduce(date: json["date"] as? String ?? "?", cpu: json["cpu"] as? String ?? "?", runs: try runs.map { run in
            guard let machines = run["machines"] as? Int, let bandwidth = run["bandwidth"] as? String,
                  let result = run["result"] as? [String: Any], let bytes = result["bytes"] as? Int,
                  let seconds = result["median_seconds"] as? Double else {
                throw DataError("\(url.path): a run lacks machines, bandwidth, bytes or median_seconds")
            }
            return Run(machines: machines, bytes: bytes, seconds: seconds, link: rates[bandwidth]?.1 ?? bandwidth,
                       isRing: run["algorithm"] as? String == "ring", bitsPerSecond: rates[bandwidth]?.0)
        })
    }

    /// The ring model `t = 2(N − 1)/N · 8S / (e · bandwidth) + 2(N − 1) · latency` fitted by least squares
    /// to the ring runs at `bitsPerSecond`: the efficiency e and the latency per round (at least 0).
    func fit(bitsPerSecond: Double) -> (efficiency: Double, latency: Double) {
        // Linear in a = 1/e and the latency: t = a·x + latency·r, x the nominal transfer time, r the rounds.
        let points = runs.filter { $0.isRing && $0.bitsPerSecond == bitsPerSecond }.map { run -> (x: Double, r: Double, t: Double) in
            let n = Double(run.machines)
            return (2 * (n - 1) / n * Double(run.bytes) * 8 / bitsPerSecond, 2 * (n - 1), run.seconds)
        }
        let (sxx, sxr, srr) = points.reduce((0.0, 0.0, 0.0)) { ($0.0 + $1.x * $1.x, $0.1 + $1.x * $1.r, $0.2 + $1.r * $1.r) }
        let (sxt, srt) = points.reduce((0.0, 0.0)) { ($0.0 + $1.x * $1.t, $0.1 + $1.r * $1.t) }
        let determinant = sxx * srr - sxr * sxr
        guard points.count >= 2, abs(determinant) > 1e-30 else { return (1, 0) }
        let a = (sxt * srr - srt * sxr) / determinant, latency = (sxx * srt - sxr * sxt) / determinant
        // A latency cannot be negative: where the best line asks for one, the bandwidth term alone is fitted.
        return latency >= 0 ? (1 / a, latency) : (sxx / sxt, 0)
    }
}
