"""Three full DINO training steps in PyTorch (timm + lightly), for Tests/DINOTests/DINOTraceTests.swift.

The model and the step are the book's PyTorch DINO, Benchmarks/reference/dino_torch.py: timm's ViT (DINO's
position-embedding interpolation for the local crops), the authors' head and loss, AdamW with DINO's two
parameter groups, per-parameter clipping at 3.0, the last layer frozen in epoch 0, the EMA teacher and the
centre. The schedules are DINO's cosine_scheduler, per iteration, for a run of 2 epochs of 2 steps; the
trace takes the first 3 steps (2 in epoch 0, 1 in epoch 1). DropPath is 0, so that both sides draw nothing.

Regenerate from the repository root with (CI regenerates it and compares: Tools/check-trace-fixture.py):

    py=$(Tools/torch-venv.sh | tail -1)
    $py Tests/Fixtures/make_dino_trace.py [OUTPUT]

Writes dino_trace.safetensors (F32) next to this script:
  init.{name}                the student's parameters before step 0 (our names: backbone.…, head.mlp.…)
  step{n}.crop{v}            the crops of step n: 2 global (B, 1, 8, 8), then 2 local (B, 1, 4, 4)
  step{n}.schedule           [lr, weight decay, teacher momentum, epoch] of step n
  step{n}.loss               the loss of step n
  step{n}.student.{name}     the student's parameters after step n
  step{n}.teacher.{name}     the teacher's parameters after step n
  step{n}.center             the centre after step n
"""
import pathlib
import sys

import torch
from safetensors.torch import save_file

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "Benchmarks" / "reference"))
import dino_torch  # noqa: E402

# The configuration DINOTraceTests builds on the Swift side; change both together.
IMAGE, LOCAL, BATCH, STEPS_PER_EPOCH = 8, 4, 3, 2
CONFIGURATION = ["--image-size", "8", "--patch-size", "4", "--dim", "16", "--depth", "2", "--heads", "2", "--out-dim", "24",
                 "--hidden-dim", "32", "--bottleneck-dim", "8", "--local-size", "4", "--local-crops", "2", "--batch-size", "3",
                 "--epochs", "2", "--warmup-epochs", "0", "--lr", "0.04", "--min-lr", "1e-3", "--momentum-teacher", "0.99",
                 "--drop-path-rate", "0"]


def main():
    torch.manual_seed(0)
    config = dino_torch.arguments(CONFIGURATION)
    student, teacher = dino_torch.dino_model(config)
    dino = dino_torch.DINO(student, teacher, config, STEPS_PER_EPOCH)
    out = {"init." + n: p.detach().clone() for n, p in student.named_parameters()}
    for step in range(3):
        epoch = step // STEPS_PER_EPOCH
        crops = [torch.randn(BATCH, 1, IMAGE, IMAGE) for _ in range(2)] + [torch.randn(BATCH, 1, LOCAL, LOCAL) for _ in range(2)]
        loss = dino.step(crops, step, epoch).item()
        prefix = f"step{step}."
        out.update({prefix + f"crop{v}": c for v, c in enumerate(crops)})
        out[prefix + "schedule"] = torch.tensor([dino.lrs[step], dino.wds[step], dino.momenta[step], epoch], dtype=torch.float32)
        out[prefix + "loss"] = torch.tensor([loss])
        out.update({prefix + "student." + n: p.detach().clone() for n, p in student.named_parameters()})
        out.update({prefix + "teacher." + n: p.detach().clone() for n, p in teacher.named_parameters()})
        out[prefix + "center"] = dino.loss.center.detach().clone()
        print(f"step {step}: loss {loss:.6f}")
    output = sys.argv[1] if len(sys.argv) > 1 else str(pathlib.Path(__file__).with_name("dino_trace.safetensors"))
    save_file({k: v.float().contiguous() for k, v in out.items()}, output)


if __name__ == "__main__":
    main()
