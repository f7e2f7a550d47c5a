"""Build gradlib/data/digits.npz once, from scikit-learn's bundled copy of the digits.

Kept for provenance; gradlib never imports it and does not depend on scikit-learn.
Run from the repository root with scikit-learn installed::

    python gradlib/data/make_digits.py

The data are the 1,797 8x8 images of the UCI "Optical Recognition of Handwritten
Digits" data set (the ``optdigits.tes`` part), E. Alpaydin and C. Kaynak, 1998,
CC BY 4.0, doi:10.24432/C50P49. scikit-learn ships that file unchanged as
``sklearn/datasets/data/digits.csv.gz``.

The archive is written by hand (not with ``np.savez_compressed``) so that every
entry has a fixed timestamp: running this script again gives a byte-identical
file, so the checksum in README.md can be reproduced.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

OUT = Path(__file__).with_name("digits.npz")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip file can store


def main() -> None:
    bunch = load_digits()
    pixels = bunch.data
    labels = bunch.target
    # The pixels are counts of "on" pixels in 4x4 blocks, integers 0..16: uint8 is exact.
    assert pixels.shape == (1797, 64) and labels.shape == (1797,)
    assert np.array_equal(pixels, np.round(pixels)) and pixels.min() == 0 and pixels.max() == 16
    arrays = {"pixels": pixels.astype(np.uint8), "labels": labels.astype(np.uint8)}

    with zipfile.ZipFile(OUT, "w") as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array, allow_pickle=False)
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, buffer.getvalue(), compresslevel=9)

    content = hashlib.sha256(arrays["pixels"].tobytes() + arrays["labels"].tobytes())
    print(f"wrote {OUT.name}: {OUT.stat().st_size} bytes")
    print(f"sha256 of the file:   {hashlib.sha256(OUT.read_bytes()).hexdigest()}")
    print(f"sha256 of the arrays: {content.hexdigest()}  (pixels bytes, then labels bytes)")
    print(f"class counts 0-9: {np.bincount(labels).tolist()}")


if __name__ == "__main__":
    main()
