"""Tiny image fixtures for the decoder tests (Tests/DINOTests/DataTests.swift).

Regenerate from the repository root with:

    pip install pillow
    python3 Tests/Fixtures/make_images.py

Writes tiny-rgb.jpg (8×6, a red-to-blue gradient) and tiny-grey.jpg (8×6, a grey ramp), quality 95.
"""
import pathlib

from PIL import Image

here = pathlib.Path(__file__).parent
rgb = Image.new("RGB", (8, 6))
rgb.putdata([(255 - 32 * x, 0, 32 * x) for y in range(6) for x in range(8)])
rgb.save(here / "tiny-rgb.jpg", quality=95)
grey = Image.new("L", (8, 6))
grey.putdata([30 * x + 5 * y for y in range(6) for x in range(8)])
grey.save(here / "tiny-grey.jpg", quality=95)
print("wrote tiny-rgb.jpg, tiny-grey.jpg")
