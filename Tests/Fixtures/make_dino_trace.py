"""Three full DINO training steps in PyTorch (timm + lightly), for Tests/DINOTests/DINOTraceTests.swift.

The model and the step are Benchmarks/reference/dino_torch.py: timm's ViT (DINO's position-embedding
interpolation for the local crops), lightly's DINO head and loss, AdamW with DINO's two parameter groups,
per-parameter clipping at 3.0, the last layer frozen in epoch 0, the EMA teacher and the centre. The
schedules are DINO's utils.cosine_scheduler, per iteration, for a run of 2 epochs of 2 steps; the trace
takes the first 3 steps (2 in epoch 0, 1 in epoch 1). DropPath is 0, so that both sides draw nothing.

Regenerate from the repository root with:

    pip install torch timm lightly safetensors
    python3 Tests/Fixtures/make_dino_trace.py

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

import numpy as np
import torch
from safetensors.torch import save_file

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "Benchmarks" / "reference"))
import dino_torch  # noqa: E402

# The configuration DINOTraceTests builds on the Swift side; change both together.
IMAGE, LOCAL, PATCH, DIM, DEPTH, HEADS = 8, 4, 4, 16, 2, 2
OUT, HIDDEN, BOTTLENECK, BATCH, STEPS_PER_EPOCH, EPOCHS = 24, 32, 8, 3, 2, 2
BASE_LR, MIN_LR, WD, WD_END, MOMENTUM = 0.04, 1e-3, 0.04, 0.4, 0.99


def cosine_scheduler(base, final, epochs, per_epoch, warmup_epochs=0, start_warmup=0.0):
    """The authors' utils.cosine_scheduler."""
    warmup = np.linspace(start_warmup, base, warmup_epochs * per_epoch) if warmup_epochs > 0 else np.array([])
    iterations = np.arange(epochs * per_epoch - warmup_epochs * per_epoch)
    schedule = final + 0.5 * (base - final) * (1 + np.cos(np.pi * iterations / len(iterations)))
    return np.concatenate((warmup, schedule))


def main():
    torch.manual_seed(0)
    student, teacher = dino_torch.dino_model(IMAGE, PATCH, 1, DIM, DEPTH, HEADS, OUT, HIDDEN, BOTTLENECK,
                                             drop_path_rate=0.0, freeze_last_layer=1)
    with torch.no_grad():  # timm starts the CLS token at std 1e-6; give it DINO's 0.02 so that it matters
        student.backbone.cls_token.normal_(std=0.02)
        teacher.backbone.cls_token.copy_(student.backbone.cls_token)
    trainer = dino_torch.Trainer(student, teacher, OUT, clip=3.0)
    lrs = cosine_scheduler(BASE_LR * BATCH / 256, MIN_LR, EPOCHS, STEPS_PER_EPOCH)
    wds = cosine_scheduler(WD, WD_END, EPOCHS, STEPS_PER_EPOCH)
    momenta = cosine_scheduler(MOMENTUM, 1, EPOCHS, STEPS_PER_EPOCH)
    out = {"init." + n: p.detach().clone() for n, p in student.named_like_ours().items()}
    for step in range(3):
        epoch = step // STEPS_PER_EPOCH
        crops = [torch.randn(BATCH, 1, IMAGE, IMAGE) for _ in range(2)] + [torch.randn(BATCH, 1, LOCAL, LOCAL) for _ in range(2)]
        loss = trainer.step(crops, float(lrs[step]), float(wds[step]), float(momenta[step]), epoch)
        prefix = f"step{step}."
        out.update({prefix + f"crop{v}": c for v, c in enumerate(crops)})
        out[prefix + "schedule"] = torch.tensor([lrs[step], wds[step], momenta[step], epoch], dtype=torch.float32)
        out[prefix + "loss"] = torch.tensor([loss])
        out.update({prefix + "student." + n: p.detach().clone() for n, p in student.named_like_ours().items()})
        out.update({prefix + "teacher." + n: p.detach().clone() for n, p in teacher.named_like_ours().items()})
        out[prefix + "center"] = trainer.loss.center.detach().reshape(1, OUT).clone()
        print(f"step {step}: loss {loss:.6f}")
    save_file({k: v.float().contiguous() for k, v in out.items()}, str(pathlib.Path(__file__).with_name("dino_trace.safetensors")))


if __name__ == "__main__":
    main()
