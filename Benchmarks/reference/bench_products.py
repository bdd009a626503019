"""The B1 matrix products in PyTorch, float32 and bfloat16 (oneDNN, as PyTorch ships it), GFLOPS at
1 and 2 threads: the engine `--precision bf16` would otherwise use, beside our `kernel-benchmark`.

    python3 Benchmarks/reference/bench_products.py --threads 1,2
"""
import argparse

import torch

from bench_step import median_seconds

TOKENS = 64 * (2 * 50 + 6 * 10)  # 10 240 token rows per B1 step
# (name, m, n, k, transpose A, transpose B), as kernel-benchmark lists them.
PRODUCTS = [
    ("qkv forward      x·Wᵀ", TOKENS, 576, 192, False, True),
    ("qkv ∂W           Gᵀ·x", 576, 192, TOKENS, True, False),
    ("qkv ∂x           G·W", TOKENS, 192, 576, False, False),
    ("proj forward", TOKENS, 192, 192, False, True),
    ("fc1 forward", TOKENS, 768, 192, False, True),
    ("fc2 forward", TOKENS, 192, 768, False, True),
    ("fc2 ∂W", 192, 768, TOKENS, True, False),
    ("head 192→2048", 512, 2048, 192, False, True),
    ("head 2048→2048", 512, 2048, 2048, False, True),
    ("head 256→4096", 512, 4096, 256, False, True),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", default="1,2")
    args = parser.parse_args()
    counts = [int(t) for t in args.threads.split(",")]
    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}; GFLOPS at threads {counts}")
    for dtype in (torch.float32, torch.bfloat16):
        print(f"{dtype}:")
        for name, m, n, k, transpose_a, transpose_b in PRODUCTS:
            a = torch.randn((k, m) if transpose_a else (m, k)).to(dtype)
            b = torch.randn((n, k) if transpose_b else (k, n)).to(dtype)
            rates = []
            for threads in counts:
                torch.set_num_threads(threads)
                seconds = median_seconds(lambda: torch.mm(a.t() if transpose_a else a, b.t() if transpose_b else b), 5, 1)
                rates.append(f"{2 * m * n * k / seconds / 1e9:7.1f}")
            print(f"  {name:24} {m:6d}×{n:5d}×{k:5d}  " + " / ".join(rates))


if __name__ == "__main__":
    main()
