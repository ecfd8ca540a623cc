#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets that need no scoregen binary (tests/fuzz/corpus/<target>/): small
valid .npy, IDX and image files and a few near misses, and the shipped pipelines (some with --set overrides after
a line "%%"). The checkpoint seeds are tiny checkpoints made by scoregen itself (docs/hardening.md)."""
import gzip
import io
import os
import struct
import sys
import zlib

import numpy as np

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    os.makedirs(os.path.join(root, target), exist_ok=True)
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data)


def npy(array, version=None):
    out = io.BytesIO()
    if version is None:
        np.save(out, array)
    else:
        np.lib.format.write_array(out, array, version=version)
    return out.getvalue()


def idx(array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(struct.pack(">I", s) for s in array.shape)
    return header + array.astype(np.uint8).tobytes()


def png(array, bit_depth=8):
    """A PNG of a [H, W] (grey) or [H, W, C] (C = 3 RGB, 4 RGBA) array."""
    h, w = array.shape[:2]
    channels = 1 if array.ndim == 2 else array.shape[2]
    colour = {1: 0, 3: 2, 4: 6}[channels]
    dtype = ">u2" if bit_depth == 16 else np.uint8
    rows = array.reshape(h, w * channels).astype(dtype)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, colour, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def bmp(array, size=None):
    """A 24-bit BMP of a [H, W, 3] array; `size` (width, height) states another size in the header."""
    h, w, _ = array.shape
    stride = (3 * w + 3) // 4 * 4
    rows = b"".join(array[y, :, ::-1].astype(np.uint8).tobytes().ljust(stride, b"\0") for y in range(h - 1, -1, -1))
    info = struct.pack("<IiiHHIIiiII", 40, *(size or (w, h)), 1, 24, 0, len(rows), 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + len(info) + len(rows), 0, 0, 14 + len(info)) + info + rows


rng = np.random.default_rng(0)
write("npy_reader_fuzz", "f4_2x3.npy", npy(rng.standard_normal((2, 3)).astype(np.float32)))
write("npy_reader_fuzz", "f8_4.npy", npy(rng.standard_normal(4)))
write("npy_reader_fuzz", "i8_2x2.npy", npy(np.arange(4, dtype=np.int64).reshape(2, 2)))
write("npy_reader_fuzz", "i4_3.npy", npy(np.arange(3, dtype=np.int32)))
write("npy_reader_fuzz", "u1_1x2x2x2.npy", npy(np.arange(8, dtype=np.uint8).reshape(1, 2, 2, 2)))
write("npy_reader_fuzz", "f4_scalar.npy", npy(np.float32(1.5)))
write("npy_reader_fuzz", "f4_empty.npy", npy(np.zeros((0, 2), np.float32)))
write("npy_reader_fuzz", "f4_version2.npy", npy(np.ones((2, 2), np.float32), version=(2, 0)))
write("npy_reader_fuzz", "f4_fortran.npy", npy(np.asfortranarray(np.ones((2, 3), np.float32))))
write("npy_reader_fuzz", "f2_unsupported.npy", npy(np.ones(2, np.float16)))


def npz(compressed, **arrays):
    out = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(out, **arrays)
    return out.getvalue()


npz_rng = np.random.default_rng(1)  # its own draws: the other corpora stay as they are
cov = npz_rng.standard_normal((4, 3))
write("npz_reader_fuzz", "stats_stored.npz", npz(False, mu=npz_rng.standard_normal(3), sigma=cov.T @ cov))
write("npz_reader_fuzz", "stats_deflated.npz", npz(True, mu=npz_rng.standard_normal(3), sigma=cov.T @ cov))
write("npz_reader_fuzz", "stats_f4.npz", npz(False, mu=np.zeros(2, np.float32), sigma=np.eye(2, dtype=np.float32)))
write("npz_reader_fuzz", "mu_only.npz", npz(True, mu=np.zeros(2)))
write("npz_reader_fuzz", "not_symmetric.npz", npz(False, mu=np.zeros(2), sigma=np.array([[1.0, 2.0], [0.0, 1.0]])))

images = rng.integers(0, 256, (3, 4, 5)).astype(np.uint8)
labels = np.array([0, 9, 3], np.uint8)
write("idx_reader_fuzz", "images.idx3", idx(images))
write("idx_reader_fuzz", "images.idx3.gz", gzip.compress(idx(images), mtime=0))
write("idx_reader_fuzz", "labels.idx1", idx(labels))
write("idx_reader_fuzz", "labels.idx1.gz", gzip.compress(idx(labels), mtime=0))
write("idx_reader_fuzz", "empty.idx3", idx(np.zeros((0, 28, 28), np.uint8)))

grey = rng.integers(0, 256, (4, 5)).astype(np.uint8)
rgb = rng.integers(0, 256, (3, 4, 3)).astype(np.uint8)
write("image_loader_fuzz", "grey.png", png(grey))
write("image_loader_fuzz", "rgb.png", png(rgb))
write("image_loader_fuzz", "rgba.png", png(rng.integers(0, 256, (2, 2, 4))))
write("image_loader_fuzz", "grey16.png", png(rng.integers(0, 65536, (2, 3)), bit_depth=16))
write("image_loader_fuzz", "mask.png", png((np.arange(16).reshape(4, 4) % 2 * 255).astype(np.uint8)))
write("image_loader_fuzz", "rgb.bmp", bmp(rgb))
write("image_loader_fuzz", "finding-huge-size.bmp", bmp(np.zeros((0, 0, 3)), size=(100000, 100000)))  # a header
write("image_loader_fuzz", "grey.pgm", b"P5\n5 4\n255\n" + grey.tobytes())
write("image_loader_fuzz", "rgb.ppm", b"P6\n4 3\n255\n" + rgb.tobytes())
pipelines = os.path.join(os.path.dirname(root), "..", "..", "pipelines")
overrides = {"toy_vp.toml": ["train.steps=2", "network.width=8", "sampler.snr=0.2", 'sampler.corrector="none"'],
             "toy_ncsn.toml": ["sde.N=10", "data.stds=[1.0, 2.0]"],
             "oracle_mixture.toml": ["sample.num=4", "seed=1"]}
for name in sorted(os.listdir(pipelines)):
    with open(os.path.join(pipelines, name), "rb") as f:
        text = f.read()
    write("pipeline_parser_fuzz", name, text)
    if name in overrides:
        write("pipeline_parser_fuzz", name.replace(".toml", "_set.toml"),
              text + b"\n%%\n" + "\n".join(overrides[name]).encode() + b"\n")
sys.exit(0)
