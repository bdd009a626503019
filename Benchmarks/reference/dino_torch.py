"""DINO in PyTorch, as a user of timm and lightly would write it: the reference this project is measured
and traced against (Benchmarks/compare_b1.sh, Tests/Fixtures/make_dino_trace.py).

- Backbone: timm's VisionTransformer (pre-norm, CLS token, qkv bias, LayerNorm eps 1e-6), its CLS feature
  after the final norm. Local crops use DINO's position-embedding interpolation (bicubic with the
  reference's scale factor (n + 0.1) / N, no antialiasing; `interpolate_pos_encoding` of the authors'
  vision_transformer.py), patched into timm in place of its antialiased resample.
- Head and loss: lightly's DINOProjectionHead (no batch norm, weight-normalised last layer) and DINOLoss
  (same-view pairs skipped, the centre updated after the loss from the raw teacher outputs).
- Optimisation as the authors' main_dino.py: AdamW with weight decay only on parameters that are neither
  biases nor 1-D, per-parameter gradient clipping, the last layer's gradients dropped during the first
  epochs, the teacher an exponential moving average of the student.
"""
import contextlib
import math

import torch
import torch.nn.functional as F
import timm.models.vision_transformer as vision_transformer
from lightly.loss import DINOLoss
from lightly.models.modules import DINOProjectionHead


def dino_resample_abs_pos_embed(posemb, new_size, old_size=None, num_prefix_tokens=1, **_):
    """DINO's rule for another patch grid: the CLS entry kept, the grid resampled bicubically with
    PyTorch's scale-factor coordinates (scale (n + 0.1) / N), no antialiasing."""
    prefix, grid = posemb[:, :num_prefix_tokens], posemb[:, num_prefix_tokens:]
    side = int(math.sqrt(grid.shape[1]))
    height, width = new_size
    if (height, width) == (side, side):
        return posemb
    dim = grid.shape[-1]
    grid = grid.reshape(1, side, side, dim).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, scale_factor=((height + 0.1) / side, (width + 0.1) / side), mode="bicubic",
                         align_corners=False)
    assert grid.shape[-2:] == (height, width), grid.shape
    return torch.cat([prefix, grid.permute(0, 2, 3, 1).reshape(1, -1, dim)], dim=1)


vision_transformer.resample_abs_pos_embed = dino_resample_abs_pos_embed


def backbone(image_size, patch_size, channels, dim, depth, heads, drop_path_rate):
    """timm's ViT as DINO configures it; forward gives the CLS feature after the final norm."""
    return vision_transformer.VisionTransformer(
        img_size=image_size, patch_size=patch_size, in_chans=channels, num_classes=0, embed_dim=dim, depth=depth,
        num_heads=heads, mlp_ratio=4, qkv_bias=True, drop_path_rate=drop_path_rate, dynamic_img_size=True)


class Model(torch.nn.Module):
    """Backbone then head, parameters named as this project names them (`backbone.…`, `head.mlp.…`)."""

    def __init__(self, backbone_module, head_module):
        super().__init__()
        self.backbone, self.head = backbone_module, head_module

    def forward(self, crops):
        # One backbone pass per resolution, the head once on the concatenation, as the authors' MultiCropWrapper.
        features, start = [], 0
        while start < len(crops):
            end = start
            while end < len(crops) and crops[end].shape[-1] == crops[start].shape[-1]:
                end += 1
            features.append(self.backbone(torch.cat(crops[start:end])))
            start = end
        return self.head(torch.cat(features))

    def named_like_ours(self):
        """{our name: parameter}: lightly's `layers.{i}` are our `mlp.{i}`."""
        return {name.replace("head.layers.", "head.mlp."): p for name, p in self.named_parameters()}


def dino_model(image_size, patch_size, channels, dim, depth, heads, out_dim, hidden_dim, bottleneck_dim,
               drop_path_rate=0.1, freeze_last_layer=1):
    """Student and teacher: the teacher a copy of the student without DropPath, never given gradients."""
    def make(rate):
        return Model(backbone(image_size, patch_size, channels, dim, depth, heads, rate),
                     DINOProjectionHead(dim, hidden_dim, bottleneck_dim, out_dim, batch_norm=False,
                                        freeze_last_layer=freeze_last_layer, norm_last_layer=True))
    student, teacher = make(drop_path_rate), make(0.0)
    teacher.load_state_dict(student.state_dict())  # (a deep copy fails on weight_norm's derived weight)
    for p in teacher.parameters():
        p.requires_grad = False
    return student, teacher


def parameter_groups(model):
    """main_dino.py's get_params_groups: no weight decay on biases and 1-D parameters."""
    regularized = [p for n, p in model.named_parameters() if p.requires_grad and not (n.endswith(".bias") or p.ndim == 1)]
    unregularized = [p for n, p in model.named_parameters() if p.requires_grad and (n.endswith(".bias") or p.ndim == 1)]
    return [{"params": regularized}, {"params": unregularized, "weight_decay": 0.0}]


def clip_gradients(model, clip):
    """main_dino.py's utils.clip_gradients: each parameter's gradient to norm `clip`, not the global norm."""
    for p in model.parameters():
        if p.grad is not None:
            norm = p.grad.data.norm(2)
            factor = clip / (norm + 1e-6)
            if factor < 1:
                p.grad.data.mul_(factor)


class Trainer:
    """One DINO training step at a time, with the schedule values given per step."""

    def __init__(self, student, teacher, out_dim, clip=3.0, teacher_temp=0.04, student_temp=0.1, center_momentum=0.9,
                 precision="fp32"):
        self.student, self.teacher, self.clip = student, teacher, clip
        # bf16: what a speed-minded user does, torch.autocast around the forward passes and the loss
        # (autocast keeps softmax, log-softmax and the reductions in float32; backward follows the forward's types).
        self.autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if precision == "bf16" else contextlib.nullcontext
        self.loss = DINOLoss(output_dim=out_dim, warmup_teacher_temp=teacher_temp, teacher_temp=teacher_temp,
                             warmup_teacher_temp_epochs=0, student_temp=student_temp, center_momentum=center_momentum)
        self.optimizer = torch.optim.AdamW(parameter_groups(student), lr=0.0, betas=(0.9, 0.999), eps=1e-8)

    def step(self, crops, lr, weight_decay, momentum, epoch):
        """Crops: global crops first. Returns the loss; updates student, teacher and centre."""
        for index, group in enumerate(self.optimizer.param_groups):
            group["lr"] = lr
            if index == 0:
                group["weight_decay"] = weight_decay
        globals_ = [c for c in crops if c.shape[-1] == crops[0].shape[-1]][:2]
        with self.autocast():
            with torch.no_grad():
                teacher_out = self.teacher(globals_).chunk(2)
            student_out = self.student(crops).chunk(len(crops))
            loss = self.loss(list(teacher_out), list(student_out), epoch=epoch)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.clip > 0:
            clip_gradients(self.student, self.clip)
        self.student.head.cancel_last_layer_gradients(epoch)
        self.optimizer.step()
        with torch.no_grad():
            for p_student, p_teacher in zip(self.student.parameters(), self.teacher.parameters()):
                p_teacher.mul_(momentum).add_((1 - momentum) * p_student.detach())
        return loss.item()
