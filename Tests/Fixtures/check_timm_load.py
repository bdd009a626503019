"""Checks that a backbone written by the Swift code loads in timm with strict=True and gives the same
CLS features.

    DINO_TIMM_EXPORT=/tmp/export.safetensors swift test --filter exportForTimm
    python3 Tests/Fixtures/check_timm_load.py /tmp/export.safetensors

The file holds the backbone's parameters under their reference names, plus `check.images.*` inputs and
`check.features.*` the Swift features on them (removed before loading).
"""
import sys

import timm.models.vision_transformer as vit
import torch
from safetensors.torch import load_file

from make_vit_parity import dino_resample


def main(path):
    vit.resample_abs_pos_embed = dino_resample
    tensors = load_file(path)
    checks = {k: tensors.pop(k) for k in list(tensors) if k.startswith("check.")}
    dim = tensors["cls_token"].shape[-1]
    depth = 1 + max(int(k.split(".")[1]) for k in tensors if k.startswith("blocks."))
    patch = tensors["patch_embed.proj.weight"].shape[-1]
    channels = tensors["patch_embed.proj.weight"].shape[1]
    grid = int(round((tensors["pos_embed"].shape[1] - 1) ** 0.5))
    heads = int(checks["check.heads"].item())
    model = vit.VisionTransformer(img_size=grid * patch, patch_size=patch, in_chans=channels, num_classes=0,
                                  embed_dim=dim, depth=depth, num_heads=heads, dynamic_img_size=True)
    model.load_state_dict(tensors, strict=True)
    model.eval()
    worst = 0.0
    with torch.no_grad():
        for key in sorted(k for k in checks if k.startswith("check.images.")):
            name = key[len("check.images."):]
            difference = (model(checks[key]) - checks["check.features." + name]).abs().max().item()
            print(f"{name}: images {tuple(checks[key].shape)}, max |timm - swift| = {difference:.2e}")
            worst = max(worst, difference)
    print("strict load: ok;", "features match" if worst <= 1e-4 else "FEATURES DIFFER")
    sys.exit(0 if worst <= 1e-4 else 1)


if __name__ == "__main__":
    main(sys.argv[1])
