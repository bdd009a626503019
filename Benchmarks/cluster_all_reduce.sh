#!/usr/bin/env bash
# The all-reduce of B1's gradients (35.4 MB) between 2, 3 and 4 machines simulated on this one
# (Tools/cluster-sim.sh, as root): unshaped, then with every link shaped to 10 Gb/s and to 1 Gb/s, with
# Open MPI's ring all-reduce (the algorithm chapter 10 models) and, at 1 Gb/s, with the algorithm it picks.
# Communication alone (all-reduce-benchmark, no training step), median of 10 repetitions. Writes the record
# that chapter 10 fits the cost model to:
#   sudo Benchmarks/cluster_all_reduce.sh        # about a minute; run nothing else meanwhile
set -euo pipefail
cd "$(dirname "$0")/.."
record=Benchmarks/results/cluster-all-reduce.json
swift build -c release --product all-reduce-benchmark >/dev/null
runs=()
for machines in 2 3 4; do
  for bandwidth in unshaped 10gbit 1gbit; do
    for algorithm in ring default; do
      # Open MPI's own choice only at 1 Gb/s, where the network, not the cores, sets the time.
      [ "$algorithm" = default ] && [ "$bandwidth" != 1gbit ] && continue
      options=(); [ "$bandwidth" = unshaped ] || options=(--bandwidth "$bandwidth")
      [ "$algorithm" = ring ] && options+=(--ring)
      result=$(Tools/cluster-sim.sh "$machines" "${options[@]}" --all-reduce -- --repeats 10 2>/dev/null | tail -1)
      echo "N=$machines $bandwidth $algorithm: $result" >&2
      runs+=("{\"machines\": $machines, \"bandwidth\": \"$bandwidth\", \"algorithm\": \"$algorithm\", \"result\": $result}")
    done
  done
done
python3 - "$record" "${runs[@]}" <<'PY'
import datetime, json, platform, subprocess, sys
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
record = {"command": "sudo Benchmarks/cluster_all_reduce.sh", "date": datetime.date.today().isoformat(),
          "cpu": f"{cpu}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores",
          "mpi": subprocess.run(["mpirun", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
          "runs": [json.loads(run) for run in sys.argv[2:]]}
with open(sys.argv[1], "w") as f:
    json.dump(record, f, indent=1)
    f.write("\n")
print(f"wrote {sys.argv[1]}")
PY
