#!/usr/bin/env bash
# The PyTorch reference in a cached virtual environment outside the clone, made once and reused:
# pinned torch, torchvision, timm, lightly and safetensors. Prints the environment's python on the last
# line of standard output, so that scripts can say  py=$(Tools/torch-venv.sh | tail -1).
#
#   Tools/torch-venv.sh                 # make it (or reuse it), print its python
#   DINO_TORCH_VENV=/some/dir Tools/torch-venv.sh
#
# torch comes from a local folder of CPU wheels where the machine has one (DINO_TORCH_WHEELS, default
# /opt/wheels); otherwise from PyPI, whose default Linux torch also brings several GB of CUDA libraries.
# PyPI's torchvision is built for CUDA: beside a CPU torch its compiled operators cannot load, and its
# Python part then fails on two operator declarations it expects from them. Nothing here uses
# torchvision's detection operators (timm only imports torchvision), so the environment declares those two
# (without kernels) before torchvision is imported: `dino_torchvision_without_cuda.py` below.
set -euo pipefail
venv="${DINO_TORCH_VENV:-$HOME/.cache/dino-in-swift/torch-venv}"
wheels="${DINO_TORCH_WHEELS:-/opt/wheels}"
requirements=(torch==2.13.0 torchvision==0.28.0 timm==1.0.31 lightly==1.6.0 safetensors==0.8.0 numpy pillow)
stamp="$venv/dino-requirements.txt"
say() { echo "torch-venv: $*" >&2; }

if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "${requirements[*]}" ] \
   && "$venv/bin/python" -c "import torch, torchvision, timm, lightly, safetensors" 2>/dev/null; then
  say "reusing $venv"
  echo "$venv/bin/python"; exit 0
fi

command -v python3 >/dev/null || { say "python3 is not installed (apt-get install python3 python3-venv)"; exit 1; }
started=$SECONDS
rm -rf "$venv"
python3 -m venv "$venv" || { say "could not create a virtual environment in $venv (apt-get install python3-venv)"; exit 1; }
pip=("$venv/bin/pip" install --quiet --disable-pip-version-check)
local_torch=$(ls "$wheels"/torch-2.13.0+cpu-*.whl 2>/dev/null | head -1 || true)
if [ -n "$local_torch" ]; then
  say "torch from $local_torch"
  "${pip[@]}" "$local_torch"
  # torchvision without its dependencies, or pip would replace the CPU torch with PyPI's CUDA one.
  "${pip[@]}" --no-deps torchvision==0.28.0
else
  say "no CPU wheel of torch in $wheels: installing PyPI's torch (with its CUDA libraries, several GB)"
fi
"${pip[@]}" "${requirements[@]}"

site=$("$venv/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
if ! "$venv/bin/python" -c "import torchvision" 2>/dev/null; then
  say "torchvision's compiled operators need CUDA here: declaring the two it expects, without kernels"
  cat >"$site/dino_torchvision_without_cuda.py" <<'PY'
"""Lets the Python part of a CUDA-built torchvision import beside a CPU torch (written by Tools/torch-venv.sh).

torchvision registers shapes for its `nms` and `qnms` operators at import; their declarations come from its
compiled library, which needs CUDA. Declaring them here (no kernels: calling them fails) lets timm import
torchvision's transforms. Runs only when torchvision is first imported."""
import importlib.abc
import sys


class _DeclareBeforeTorchvision(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torchvision":
            sys.meta_path.remove(self)
            import torch
            if not hasattr(torch.ops.torchvision, "nms"):
                library = torch.library.Library("torchvision", "DEF")
                library.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
                library.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
                _libraries.append(library)  # kept alive: the declarations live as long as their Library
        return None


_libraries = []
sys.meta_path.insert(0, _DeclareBeforeTorchvision())
PY
  echo "import dino_torchvision_without_cuda" >"$site/dino_torchvision_without_cuda.pth"
fi
"$venv/bin/python" -c "import torch, torchvision, timm, lightly, safetensors; import timm.models.vision_transformer" \
  || { say "the environment in $venv does not import torch, timm, lightly and safetensors"; exit 1; }
echo "${requirements[*]}" >"$stamp"
say "made $venv in $(( SECONDS - started )) s ($("$venv/bin/python" -c 'import torch; print("torch", torch.__version__)'))"
echo "$venv/bin/python"
