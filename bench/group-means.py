"""The participant x visit mean of every gene of a CSR .h5ad, with h5py + numpy (the reference side of
bench/compressed.bench.mjs). Streams X in row blocks as trialmix does; h5py decodes gzip and lzf itself.

Usage: /usr/bin/python3 bench/group-means.py FILE.h5ad OUT.f64 [ROWS]
Writes the means feature-major (gene j, group g at j * n_groups + g; group = participant code * 2 +
visit code) as float64 to OUT.f64 and prints {"seconds": ..., "values": stored values} as JSON.
"""
import json
import sys
import time

import h5py
import numpy as np

path, out = sys.argv[1], sys.argv[2]
rows = int(sys.argv[3]) if len(sys.argv) > 3 else 4096
t0 = time.perf_counter()
with h5py.File(path, "r") as f:
    part = f["obs/participant_id/codes"][()].astype(np.int64)
    visit = f["obs/visit/codes"][()].astype(np.int64)
    n_visits = f["obs/visit/categories"].shape[0]
    n_groups = (int(part.max()) + 1) * n_visits
    group = part * n_visits + visit
    x = f["X"]
    n_obs, n_vars = (int(s) for s in x.attrs["shape"])
    indptr = x["indptr"][()]
    data, indices = x["data"], x["indices"]
    sums = np.zeros(n_groups * n_vars)
    for r0 in range(0, n_obs, rows):
        r1 = min(n_obs, r0 + rows)
        a, b = int(indptr[r0]), int(indptr[r1])
        d = data[a:b]
        ix = indices[a:b].astype(np.int64)
        g = np.repeat(group[r0:r1], np.diff(indptr[r0:r1 + 1]))
        sums += np.bincount(ix * n_groups + g, weights=d, minlength=n_groups * n_vars)
    counts = np.bincount(group, minlength=n_groups).astype(np.float64)
    means = sums.reshape(n_vars, n_groups) / counts
seconds = time.perf_counter() - t0
means.astype(np.float64).tofile(out)
print(json.dumps({"seconds": seconds, "values": int(indptr[-1])}))
