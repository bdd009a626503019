"""Checks that a backbone written by the Swift code loads in timm with strict=True and gives the same
CLS features.

    DINO_TIMM_EXPORT=/tmp/export.safetensors swift test --filter exportForTimm
    python3 Tests/Fixtures/check_timm_load.py /tmp/export.safetensors

The file holds the backbone's parameters under their reference names, plus `check.images.*` inputs and
`check.features.*` the Swift features on them (removed before loading).

A trained run is checked the same way against the features the trainer's `features` command wrote:

    ch09-trainer features --checkpoint runs/quick/checkpoint.safetensors --split test --output f.safetensors
    python3 Tests/Fixtures/check_timm_load.py runs/quick/teacher_backbone.safetensors --fashion-mnist-features f.safetensors
"""
import sys

import timm.models.vision_transformer as vit
import torch
from safetensors.torch import load_file

from make_vit_parity import dino_resample


def fashion_mnist_checks(features_path):
    """The Fashion-MNIST test images (normalised as the trainer does) and the Swift features of them."""
    import gzip
    import numpy as np
    swift = load_file(features_path)["features"]
    raw = gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()[16:]
    images = torch.tensor(np.frombuffer(raw, dtype=np.uint8)[: swift.shape[0] * 784].astype(np.float32) / 255)
    images = ((images - 0.2860) / 0.3530).reshape(-1, 1, 28, 28)
    return {"check.images.test": images, "check.features.test": swift, "check.heads": torch.tensor([3.0])}


def main(path, features_path=None):
    vit.resample_abs_pos_embed = dino_resample
    tensors = load_file(path)
    checks = {k: tensors.pop(k) for k in list(tensors) if k.startswith("check.")}
    if features_path:
        checks = fashion_mnist_checks(features_path)
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
    if len(sys.argv) == 4 and sys.argv[2] == "--fashion-mnist-features":
        main(sys.argv[1], sys.argv[3])
    else:
        main(sys.argv[1])
