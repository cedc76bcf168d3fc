"""Copy an .h5ad with every dataset recompressed: gzip level 4 (as CELLxGENE writes) or lzf.

Usage: /usr/bin/python3 bench/make-compressed-h5ad.py IN.h5ad OUT.h5ad {gzip4|gzip4-shuffle|lzf} [CHUNK]
For issue 14's benchmarks: IN is bench/make-big-h5ad.py's 200,000-cell file, e.g.
  /usr/bin/python3 bench/make-big-h5ad.py /tmp/big.h5ad
  /usr/bin/python3 bench/make-compressed-h5ad.py /tmp/big.h5ad /tmp/big-gzip4.h5ad gzip4
  /usr/bin/python3 bench/make-compressed-h5ad.py /tmp/big.h5ad /tmp/big-lzf.h5ad lzf
Streams large datasets in blocks of 4M elements (memory stays ~50 MB). CHUNK (elements, 1-d
datasets) defaults to h5py's own guess for the full shape, which is what
adata.write_h5ad(compression=...) gets (h5py chunks=True); pass e.g. 1048576 to match the
uncompressed file's 1M-element chunks. Strings (obs/var index, categories) are compressed too, as
anndata does: lzf on variable-length strings is exactly what h5wasm-plugins' lzf cannot read
(see README.md).
"""
import sys

import h5py
import numpy as np
from h5py._hl.filters import guess_chunk

src, dst, kind = sys.argv[1:4]
chunk = int(sys.argv[4]) if len(sys.argv) > 4 else None
KW = {
    "gzip4": dict(compression="gzip", compression_opts=4),
    "gzip4-shuffle": dict(compression="gzip", compression_opts=4, shuffle=True),
    "lzf": dict(compression="lzf"),
}[kind]
BLOCK = 1 << 22

with h5py.File(src, "r") as fi, h5py.File(dst, "w") as fo:
    for k, v in fi.attrs.items():
        fo.attrs[k] = v

    def copy(name, obj):
        if isinstance(obj, h5py.Group):
            g = fo.require_group(name)
            for k, v in obj.attrs.items():
                g.attrs[k] = v
            return
        if obj.shape == () or obj.size == 0:
            d = fo.create_dataset(name, data=obj[()], dtype=obj.dtype)
        else:
            if chunk and obj.ndim == 1:
                ck = (min(chunk, obj.shape[0]),)
            else:
                ck = guess_chunk(obj.shape, None, obj.dtype.itemsize)
            d = fo.create_dataset(name, shape=obj.shape, dtype=obj.dtype, chunks=ck, **KW)
            rows = max(1, BLOCK // max(1, int(np.prod(obj.shape[1:]))))
            for r0 in range(0, obj.shape[0], rows):
                d[r0:r0 + rows] = obj[r0:r0 + rows]
        for k, v in obj.attrs.items():
            d.attrs[k] = v

    fi.visititems(copy)

with h5py.File(src, "r") as fi, h5py.File(dst, "r") as fo:
    x = fo["X/data"]
    print(f"{dst}: {kind}, X/data chunks {x.chunks}, {x.id.get_storage_size() / 1e6:.1f} MB stored "
          f"of {x.size * x.dtype.itemsize / 1e6:.1f} MB")
    # spot check: first and last block of X/data and X/indices equal the source
    for p in ("X/data", "X/indices", "X/indptr"):
        n = fi[p].shape[0]
        for s in (slice(0, min(n, BLOCK)), slice(max(0, n - BLOCK), n)):
            assert np.array_equal(fi[p][s], fo[p][s]), p
