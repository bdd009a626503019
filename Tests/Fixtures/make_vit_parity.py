"""PyTorch reference for the ViT parity test (Tests/DINOTests/ViTParityTests.swift).

Regenerate from the repository root with:

    pip install torch timm safetensors
    python3 Tests/Fixtures/make_vit_parity.py

Writes, next to this script:
  vit_parity_weights.safetensors  a timm ViT (img 28, patch 4, 1 channel, dim 192, depth 2, 3 heads), F16
  vit_parity_data.safetensors     inputs, CLS features, a fixed probe and the gradients of
                                  f = Σ features_global·probe_global + Σ features_local·probe_local (F32)

The weights are random (not the 0.02 init) so that attention is far from uniform, and rounded to F16
before the reference is computed, so the F16 file holds exactly the weights the reference used. timm
resamples position embeddings with antialiasing; DINO does not (bicubic, scale factor (n + 0.1) / N).
This script swaps in DINO's rule, which is the one the Swift code implements.
"""
import math
import pathlib

import timm.models.vision_transformer as vit
import torch
import torch.nn.functional as F
from safetensors.torch import save_file


def dino_resample(posemb, new_size, old_size=None, num_prefix_tokens=1, **_):
    """`interpolate_pos_encoding` of facebookresearch/dino, in timm's resample signature."""
    n_old = int(math.sqrt(posemb.shape[1] - num_prefix_tokens))
    h, w = new_size
    if h == n_old and w == n_old:
        return posemb
    prefix, grid = posemb[:, :num_prefix_tokens], posemb[:, num_prefix_tokens:]
    dim = posemb.shape[-1]
    grid = grid.reshape(1, n_old, n_old, dim).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, scale_factor=((h + 0.1) / n_old, (w + 0.1) / n_old), mode="bicubic")
    assert grid.shape[-2:] == (h, w), grid.shape
    return torch.cat([prefix, grid.permute(0, 2, 3, 1).reshape(1, -1, dim)], dim=1)


def main():
    torch.manual_seed(0)
    vit.resample_abs_pos_embed = dino_resample
    model = vit.VisionTransformer(
        img_size=28, patch_size=4, in_chans=1, num_classes=0, embed_dim=192, depth=2, num_heads=3,
        mlp_ratio=4.0, qkv_bias=True, dynamic_img_size=True, global_pool="token")
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name == "norm.weight":
                p.copy_(1 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.1 * torch.randn_like(p))
            p.copy_(p.half().float())  # the reference uses exactly the F16 weights that are saved
    model.eval()

    global_crops = torch.randn(4, 1, 28, 28, requires_grad=True)
    local_crops = torch.randn(4, 1, 12, 12, requires_grad=True)
    probe_global, probe_local = torch.randn(4, 192), torch.randn(4, 192)
    features_global, features_local = model(global_crops), model(local_crops)
    f = (features_global * probe_global).sum() + (features_local * probe_local).sum()
    f.backward()

    here = pathlib.Path(__file__).parent
    state = {k: v.detach().half().contiguous() for k, v in model.state_dict().items()}
    save_file(state, here / "vit_parity_weights.safetensors")
    grads = {f"grad.{n}": p.grad for n, p in model.named_parameters()
             if n in ("cls_token", "pos_embed", "patch_embed.proj.weight", "blocks.0.norm1.weight",
                      "blocks.1.attn.proj.bias", "blocks.1.mlp.fc2.bias", "norm.weight")}
    data = {
        "global_crops": global_crops, "local_crops": local_crops,
        "probe_global": probe_global, "probe_local": probe_local,
        "features_global": features_global, "features_local": features_local,
        "grad.global_crops": global_crops.grad, "grad.local_crops": local_crops.grad, **grads,
    }
    save_file({k: v.detach().float().contiguous() for k, v in data.items()}, here / "vit_parity_data.safetensors")
    print("wrote", sorted(data))


if __name__ == "__main__":
    main()
