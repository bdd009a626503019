"""The PyTorch reference's B1 training step, timed as Benchmarks/StepBenchmark times ours (medians over
steps on pre-made crops), plus teacher feature extraction and the sgemm peak. Run by
Benchmarks/compare_b1.sh beside our step benchmark; alone:

    py=$(Tools/torch-venv.sh | tail -1)   # torch, timm, safetensors in a cached environment
    $py Benchmarks/reference/bench_step.py --threads 2,1

B1: ViT 192-d, depth 6, 3 heads, patch 4; 2 global crops of 28², 6 local crops of 12²; head
2048 / 256 / 4096; batch 64; DropPath 0.1 on the student (dino_torch.py).
"""
import argparse
import contextlib
import statistics
import time

import torch

import dino_torch


def flops_per_image(d=192, patch=4, depth=6, hidden_head=2048, bottleneck=256, out_dim=4096, global_side=28,
                    local_side=12, locals_=6):
    """The analytic count StepBenchmark uses: student forward and backward on every crop (backward twice
    the forward, none for the images), teacher forward on the globals, the loss's products."""
    def vit(side):
        patches = (side / patch) ** 2
        tokens = patches + 1
        patch_flops = 2 * patches * patch * patch * d
        block = 2 * tokens * d * 3 * d + 2 * tokens * tokens * d * 2 + 2 * tokens * d * d + 2 * tokens * d * 4 * d * 2
        return patch_flops, patch_flops + depth * block
    head = 2 * (d * hidden_head + hidden_head ** 2 + hidden_head * bottleneck + bottleneck * out_dim)
    (global_patch, global_total), (local_patch, local_total) = vit(global_side), vit(local_side)
    student_forward = 2 * global_total + locals_ * local_total + (2 + locals_) * head
    student_backward = 2 * student_forward - (2 * global_patch + locals_ * local_patch)
    teacher_forward = 2 * (global_total + head)
    loss = 2 * 2 * (2 + locals_) * out_dim
    return student_forward + student_backward + teacher_forward + 3 * loss


def median_seconds(body, runs, warmup):
    for _ in range(warmup):
        body()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", default="2,1", help="thread counts to measure, e.g. 2,1")
    parser.add_argument("--steps", type=int, default=12, help="timed steps per thread count (the median is reported)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                        help="bf16: torch.autocast('cpu', dtype=torch.bfloat16) around the forward passes and the loss")
    args = parser.parse_args()
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if args.precision == "bf16" else contextlib.nullcontext
    print(f"precision {args.precision}; torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}")
    torch.manual_seed(0)
    flops = flops_per_image()
    print(f"FLOPs per image per training step (analytic): {flops / 1e9:.3f} G")
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        config = dino_torch.arguments(["--precision", args.precision, "--batch-size", str(args.batch)])  # B1
        student, teacher = dino_torch.dino_model(config)
        trainer = dino_torch.DINO(student, teacher, config, per_epoch=2)
        crops = [torch.randn(args.batch, 1, 28, 28) for _ in range(2)] + [torch.randn(args.batch, 1, 12, 12) for _ in range(6)]
        step = median_seconds(lambda: trainer.step(crops, 1, 1), args.steps, 2)
        a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
        peak = 2 * 2048 ** 3 / median_seconds(lambda: torch.mm(a, b), 20, 3) / 1e9
        images = torch.randn(1000, 1, 28, 28)
        with torch.no_grad(), autocast():
            inference = median_seconds(lambda: teacher.backbone(images), 3, 1)
        print(f"threads={threads}: step {step:.3f}s  {args.batch / step:.1f} img/s  {flops * args.batch / step / 1e9:.1f} GFLOPS"
              f"  (sgemm 2048³ peak {peak:.0f} GFLOPS)")
        print(f"inference {{'threads': {threads}, 'images_per_s': {1000 / inference:.1f}}}")


if __name__ == "__main__":
    main()
