"""Write a synthetic CSR .h5ad for bench/aggregate.bench.mjs (default 200,000 cells x 2,000 genes, ~5% dense).

Usage: /usr/bin/python3 bench/make-big-h5ad.py OUT.h5ad [CELLS] [GENES] [DENSITY] [CELLTYPES]
Written with h5py directly (AnnData 0.8+ layout), in row blocks, so memory stays small.
CELLTYPES > 0 adds an obs column `celltype` (CT0, CT1, ...; uniform, from its own seed, so X is
the same file's X with or without it): the per-cell-type scan's benchmark (BENCHMARKS.md).
"""
import sys

import h5py
import numpy as np

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
g = int(sys.argv[3]) if len(sys.argv) > 3 else 2_000
dens = float(sys.argv[4]) if len(sys.argv) > 4 else 0.05
n_ct = int(sys.argv[5]) if len(sys.argv) > 5 else 0
rng = np.random.default_rng(1)
S = h5py.string_dtype("utf-8")


def enc(o, t, v="0.2.0"):
    o.attrs["encoding-type"] = t
    o.attrs["encoding-version"] = v


with h5py.File(out, "w") as f:
    enc(f, "anndata", "0.1.0")
    obs = f.create_group("obs")
    enc(obs, "dataframe")
    obs.attrs["_index"] = "_index"
    obs.attrs["column-order"] = np.array(["participant_id", "visit", "arm"] + (["celltype"] if n_ct else []), dtype="S")
    obs.create_dataset("_index", data=np.array([f"c{i}" for i in range(n)], dtype=object), dtype=S)
    P = 100
    part = rng.integers(0, P, n)
    visit = rng.integers(0, 2, n)
    cols = [("participant_id", part, [f"P{j:03d}" for j in range(P)]),
            ("visit", visit, ["Post", "Pre"]),
            ("arm", part % 2, ["Control", "Treated"])]
    if n_ct:
        cols.append(("celltype", np.random.default_rng(2).integers(0, n_ct, n), [f"CT{k}" for k in range(n_ct)]))
    for name, codes, cats in cols:
        grp = obs.create_group(name)
        enc(grp, "categorical")
        grp.attrs["ordered"] = False
        grp.create_dataset("codes", data=codes.astype(np.int8))
        grp.create_dataset("categories", data=np.array(cats, dtype=object), dtype=S)
    var = f.create_group("var")
    enc(var, "dataframe")
    var.attrs["_index"] = "_index"
    var.attrs["column-order"] = np.array([], dtype="S")
    var.create_dataset("_index", data=np.array([f"G{j:05d}" for j in range(g)], dtype=object), dtype=S)
    X = f.create_group("X")
    enc(X, "csr_matrix", "0.1.0")
    X.attrs["shape"] = np.array([n, g])
    d = X.create_dataset("data", shape=(0,), maxshape=(None,), dtype=np.float32, chunks=(1 << 20,))
    ix = X.create_dataset("indices", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(1 << 20,))
    ptr = np.zeros(n + 1, dtype=np.int64)
    pos = 0
    B = 5000
    for r0 in range(0, n, B):
        r1 = min(n, r0 + B)
        mask = rng.random((r1 - r0, g), dtype=np.float32) < dens
        rows, cols = np.nonzero(mask)
        vals = rng.random(len(cols), dtype=np.float32) * 3
        d.resize((pos + len(vals),))
        ix.resize((pos + len(vals),))
        d[pos:] = vals
        ix[pos:] = cols.astype(np.int32)
        counts = np.bincount(rows, minlength=r1 - r0)
        ptr[r0 + 1:r1 + 1] = pos + np.cumsum(counts)
        pos += len(vals)
    X.create_dataset("indptr", data=ptr)
    print(f"{out}: {n} x {g}, nnz={pos}")
