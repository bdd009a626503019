"""PyTorch reference for the loss, head and optimiser parity tests (Tests/DINOTests/DINOParityTests.swift).

Regenerate from the repository root with:

    pip install torch numpy safetensors
    python3 Tests/Fixtures/make_dino_parity.py

Writes, next to this script, dino_parity.safetensors (F32) with:
  loss.{case}.step{n}.*   DINOLoss of facebookresearch/dino (main_dino.py), rewritten here from its formulas:
                          random logits over 3 steps with the centre carried along and the teacher
                          temperature warming up per epoch; case a: 4 crops, case b: 10 crops
  head.*                  a DINO head (16 → 32 → 32 → 8 → L2 → weight-normalised 24, g = 1 frozen):
                          parameters, input, output and gradients of Σ output·probe
  adamw.*                 two optimiser steps on the head as DINO's train loop takes them: per-parameter
                          clipping at 3.0, the last layer's gradients dropped in epoch 0, AdamW with the
                          regularised and unregularised groups (weight decay only on the first)
"""
import pathlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file


class DINOLoss(nn.Module):
    def __init__(self, out_dim, ncrops, warmup_teacher_temp, teacher_temp, warmup_teacher_temp_epochs, nepochs,
                 student_temp=0.1, center_momentum=0.9):
        super().__init__()
        self.student_temp, self.center_momentum, self.ncrops = student_temp, center_momentum, ncrops
        self.register_buffer("center", torch.zeros(1, out_dim))
        self.teacher_temp_schedule = np.concatenate((
            np.linspace(warmup_teacher_temp, teacher_temp, warmup_teacher_temp_epochs),
            np.ones(nepochs - warmup_teacher_temp_epochs) * teacher_temp))

    def forward(self, student_output, teacher_output, epoch):
        student_out = (student_output / self.student_temp).chunk(self.ncrops)
        temp = self.teacher_temp_schedule[epoch]
        teacher_out = F.softmax((teacher_output - self.center) / temp, dim=-1).detach().chunk(2)
        total_loss, n_loss_terms = 0, 0
        for iq, q in enumerate(teacher_out):
            for v in range(len(student_out)):
                if v == iq:
                    continue
                total_loss += torch.sum(-q * F.log_softmax(student_out[v], dim=-1), dim=-1).mean()
                n_loss_terms += 1
        total_loss /= n_loss_terms
        self.update_center(teacher_output)
        return total_loss

    @torch.no_grad()
    def update_center(self, teacher_output):
        batch_center = torch.sum(teacher_output, dim=0, keepdim=True) / len(teacher_output)
        self.center = self.center * self.center_momentum + batch_center * (1 - self.center_momentum)


def loss_cases(out):
    for case, ncrops, batch, k in (("a", 4, 3, 16), ("b", 10, 2, 32)):
        loss = DINOLoss(k, ncrops, 0.04, 0.07, 2, 4)
        for step, epoch in enumerate((0, 1, 2)):
            student = (3 * torch.randn(ncrops * batch, k)).requires_grad_()
            teacher = 3 * torch.randn(2 * batch, k)
            value = loss(student, teacher, epoch)
            value.backward()
            prefix = f"loss.{case}.step{step}."
            out.update({prefix + "student": student.detach(), prefix + "teacher": teacher,
                        prefix + "epoch": torch.tensor([float(epoch)]), prefix + "loss": value.detach().reshape(1),
                        prefix + "grad": student.grad, prefix + "center": loss.center.clone()})
        out[f"loss.{case}.crops"] = torch.tensor([float(ncrops)])


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.Linear(32, 32), nn.GELU(), nn.Linear(32, 8))
        self.last_layer = nn.utils.weight_norm(nn.Linear(8, 24, bias=False))
        self.last_layer.weight_g.data.fill_(1)
        self.last_layer.weight_g.requires_grad = False

    def forward(self, x):
        return self.last_layer(F.normalize(self.mlp(x), dim=-1, p=2))


def clip_gradients(model, clip):  # utils.clip_gradients of the reference
    for p in model.parameters():
        if p.grad is not None:
            clip_coef = clip / (p.grad.data.norm(2) + 1e-6)
            if clip_coef < 1:
                p.grad.data.mul_(clip_coef)


def head_and_adamw(out):
    head = Head()
    with torch.no_grad():
        for name, p in head.named_parameters():
            if name != "last_layer.weight_g":
                p.copy_(0.3 * torch.randn_like(p))
    out.update({"head.param." + n: p.detach().clone() for n, p in head.state_dict().items()})
    x = torch.randn(5, 16, requires_grad=True)
    probe = torch.randn(5, 24)
    y = head(x)
    (y * probe).sum().backward()
    out.update({"head.input": x.detach(), "head.output": y.detach(), "head.probe": probe, "head.grad.input": x.grad})
    out.update({"head.grad." + n: p.grad.clone() for n, p in head.named_parameters() if p.grad is not None})

    regularized = [p for n, p in head.named_parameters() if p.requires_grad and not (n.endswith(".bias") or p.ndim == 1)]
    not_regularized = [p for n, p in head.named_parameters() if p.requires_grad and (n.endswith(".bias") or p.ndim == 1)]
    optimizer = torch.optim.AdamW([{"params": regularized}, {"params": not_regularized, "weight_decay": 0.0}])
    for step, (lr, wd, epoch) in enumerate(((1e-2, 0.04, 0), (5e-3, 0.1, 1))):
        optimizer.zero_grad()
        probe = 10 * torch.randn(5, 24)  # large, so that clipping acts on some parameters
        (head(x.detach()) * probe).sum().backward()
        clip_gradients(head, 3.0)
        if epoch < 1:  # freeze_last_layer = 1: cancel_gradients_last_layer
            for n, p in head.named_parameters():
                if "last_layer" in n:
                    p.grad = None
        for i, group in enumerate(optimizer.param_groups):
            group["lr"] = lr
            if i == 0:
                group["weight_decay"] = wd
        optimizer.step()
        out[f"adamw.step{step}.probe"] = probe
        out[f"adamw.step{step}.settings"] = torch.tensor([lr, wd, float(epoch)])
        out.update({f"adamw.step{step}.param." + n: p.detach().clone() for n, p in head.state_dict().items()})


def main():
    torch.manual_seed(0)
    out = {}
    loss_cases(out)
    head_and_adamw(out)
    path = pathlib.Path(__file__).parent / "dino_parity.safetensors"
    save_file({k: v.float().contiguous() for k, v in out.items()}, path)
    print("wrote", path, len(out), "tensors")


if __name__ == "__main__":
    main()
