#!/usr/bin/env python3
"""Compares two checkpoints of this trainer: every tensor bit for bit, every metadata field, except the
wall-clock seconds a run records in its state (`state.seconds`), which no two runs share. Says which tensor
or field differs, and exits 1 when one does; 0 when the two hold the same run.

    python3 Tools/compare-checkpoints.py A.safetensors B.safetensors
"""
import json
import struct
import sys

IGNORED = {("state", "seconds")}  # wall-clock time: differs between any two runs


def read(path):
    """(header without metadata, metadata, data bytes) of a safetensors file, with errors in our words."""
    try:
        with open(path, "rb") as file:
            raw = file.read()
    except OSError as error:
        sys.exit(f"error: {path} cannot be read ({error.strerror})")
    if len(raw) < 8:
        sys.exit(f"error: {path} is {len(raw)} bytes long, shorter than a safetensors header")
    (length,) = struct.unpack("<Q", raw[:8])
    try:
        header = json.loads(raw[8:8 + length])
    except ValueError:
        sys.exit(f"error: {path}: its header is not JSON; the file is damaged or not a safetensors file")
    metadata = header.pop("__metadata__", {})
    return header, metadata, raw[8 + length:]


def differences(first, second):
    """The differences between two checkpoints, one line each."""
    (header_a, meta_a, data_a), (header_b, meta_b, data_b) = read(first), read(second)
    found = []
    for name in sorted(set(header_a) | set(header_b)):
        if name not in header_a or name not in header_b:
            found.append(f"tensor {name}: only in {'the first' if name in header_a else 'the second'}")
            continue
        a, b = header_a[name], header_b[name]
        if (a["dtype"], a["shape"]) != (b["dtype"], b["shape"]):
            found.append(f"tensor {name}: {a['dtype']} {a['shape']} against {b['dtype']} {b['shape']}")
        elif data_a[slice(*a["data_offsets"])] != data_b[slice(*b["data_offsets"])]:
            found.append(f"tensor {name}: its values differ")
    for key in sorted(set(meta_a) | set(meta_b)):
        a, b = meta_a.get(key), meta_b.get(key)
        try:
            a_json, b_json = json.loads(a), json.loads(b)
        except (TypeError, ValueError):
            if a != b:
                found.append(f"metadata {key}: {a!r} against {b!r}")
            continue
        if isinstance(a_json, dict) and isinstance(b_json, dict):
            for field in sorted(set(a_json) | set(b_json)):
                if (key, field) not in IGNORED and a_json.get(field) != b_json.get(field):
                    found.append(f"metadata {key}.{field}: {a_json.get(field)!r} against {b_json.get(field)!r}")
        elif a_json != b_json:
            found.append(f"metadata {key} differs")
    return found


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: compare-checkpoints.py A.safetensors B.safetensors")
    found = differences(sys.argv[1], sys.argv[2])
    for line in found:
        print(line)
    if found:
        sys.exit(1)
    print("identical: every tensor bit for bit, every metadata field but the state's wall-clock seconds")


if __name__ == "__main__":
    main()
