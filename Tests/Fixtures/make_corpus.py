"""Seed files for the readers' mutation fuzz test (Tests/DINOTests/FuzzTests.swift).

Regenerate from the repository root with:

    pip install numpy safetensors pillow
    python3 Tests/Fixtures/make_corpus.py

Writes corpus/: small valid inputs of every format the project reads.
"""
import gzip
import pathlib
import struct

import numpy as np
from PIL import Image
from safetensors.numpy import save_file

out = pathlib.Path(__file__).parent / "corpus"
out.mkdir(exist_ok=True)
save_file({"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(4, dtype=np.float16)}, out / "small.safetensors")
images = bytes([0, 0, 8, 3]) + struct.pack(">III", 2, 4, 4) + bytes(range(32))
(out / "images-idx3-ubyte").write_bytes(images)
(out / "images-idx3-ubyte.gz").write_bytes(gzip.compress(images, mtime=0))
Image.fromarray(np.arange(48, dtype=np.uint8).reshape(6, 8)).save(out / "grey.png")
Image.fromarray(np.stack([np.arange(48, dtype=np.uint8).reshape(6, 8)] * 3, axis=-1)).save(out / "rgb.jpg", quality=90)
print("wrote", sorted(p.name for p in out.iterdir()))
