"""Regenerates the trace fixture with the book's PyTorch DINO and compares it with the committed one, so that a
change to Benchmarks/reference/dino_torch.py that the fixture does not follow fails CI.

    py=$(Tools/torch-venv.sh | tail -1) && $py Tools/check-trace-fixture.py

Same names and shapes; the losses and the centre within 1e-5 relative; each parameter's update (after - initial)
within 1e-4 of the committed update plus 2e-3 of the learning rates so far. PyTorch's CPU kernels differ by CPU,
and an element whose gradient is near AdamW's eps turns the gradient's last bits into a visible part of its first
move lr*g/(|g| + eps): the floor is for those, as DINOTraceTests' is for the Swift trainer (1e-2 there, where two
different programs meet). The key third of qkv.bias, whose gradient is exactly zero, moves by AdamW's rounding
noise: it is held to twice the learning rates. Measured with torch 2.13.0 CPU: on the Zen 4 that wrote the file
(2026-12-06), bit for bit; on a Zen 3 without AVX-512 (2026-12-07), blocks.0.attn.proj.weight element 54 (moved by
0.95 lr) differed by 9.2e-4 of the learning rates beyond the relative part, every other element less: the floor
is about twice that.
"""
import pathlib
import subprocess
import sys
import tempfile

from safetensors.torch import load_file

root = pathlib.Path(__file__).resolve().parents[1]
committed = root / "Tests/Fixtures/dino_trace.safetensors"
with tempfile.TemporaryDirectory() as folder:
    fresh_path = pathlib.Path(folder) / "dino_trace.safetensors"
    subprocess.run([sys.executable, str(root / "Tests/Fixtures/make_dino_trace.py"), str(fresh_path)], check=True,
                   stdout=subprocess.DEVNULL)
    old, new = load_file(str(committed)), load_file(str(fresh_path))

problems = [f"{name}: only in the {'committed' if name in old else 'regenerated'} fixture" for name in set(old) ^ set(new)]
problems += [f"{name}: shape {tuple(old[name].shape)} became {tuple(new[name].shape)}"
             for name in set(old) & set(new) if old[name].shape != new[name].shape]
lr_sum, identical = 0.0, True
for step in range(3):
    prefix = f"step{step}."
    lr_sum += float(old[prefix + "schedule"][0])
    for name in sorted(n for n in old if n.startswith(prefix) and n in new and old[n].shape == new[n].shape):
        a, b = old[name], new[name]
        identical &= bool((a == b).all())
        if not name.startswith((prefix + "student.", prefix + "teacher.")):
            bound = 1e-5 * a.abs() + 1e-7  # loss, centre, schedule, crops
        else:
            start = old["init." + name.split(".", 2)[2]]
            a, b = a - start, b - start
            bound = 1e-4 * a.abs() + 2e-3 * lr_sum
            if name.endswith("attn.qkv.bias"):
                third = len(bound) // 3
                bound[third:2 * third] = 2 * lr_sum
        if not bool(((a - b).abs() <= bound).all()):
            problems.append(f"{name}: differs by up to {float((a - b).abs().max()):.3g}, beyond its bound")

if problems:
    print("the regenerated trace fixture differs from Tests/Fixtures/dino_trace.safetensors:")
    print("\n".join("  " + p for p in sorted(problems)[:20]))
    print("if Benchmarks/reference/dino_torch.py changed on purpose, regenerate it (Tests/Fixtures/make_dino_trace.py)")
    sys.exit(1)
print(f"trace fixture regenerated: {'bit for bit the committed one' if identical else 'within tolerance of the committed one'}")
