"""Small hostile .h5ad fixtures for test/hostile.test.ts (issue 7).

Usage: /usr/bin/python3 scripts/make-hostile.py   (Debian's python3-anndata / python3-h5py)

Writes test/fixtures/hostile/ (each file a few KB):
  values.h5ad          12 participants x {Pre, Post, Week4} x 3 cells, X csr float64 with genes
                       ok1, ok2, has_nan, has_inf, constant, all_zero, huge (~1e300),
                       tiny (~1e-300), collinear (= treated x post exactly); obs: age (NaN in one
                       cell), score (Inf in one cell), cross_text (not boolean-like), both_arms
                       (participant P00 relabelled Control at Post), sex
  mini.h5ad           values.h5ad's design columns and genes ok1, ok2, has_nan (the
                       files below are mutated copies of it)
  not_anndata.h5ad     valid HDF5 without obs/var
  future_version.h5ad  X csr_matrix with encoding-version 9.0.0
  future_obs.h5ad      an obs column with encoding-type 'nullable-float64' (unknown)
  obs_short.h5ad       obs column 'age' (categorical) one value short of n_obs
  indptr_nonmono.h5ad  csr indptr not monotone
  indptr_past.h5ad     csr indptr ending past the stored values
  indices_oob.h5ad     csr column index >= n_vars
  indices_neg.h5ad     csr column index -1
  data_corrupt_chunk.h5ad  csr data gzip-chunked, its second chunk's compressed bytes overwritten
  huge_shape.h5ad      obs/var/X declare 2^32-sized shapes (chunked, nothing stored)
  empty_cells.h5ad     0 cells x 3 genes
  empty_genes.h5ad     values.h5ad's obs with 0 genes
Issue 12 (mini.h5ad mutated unless said otherwise):
  ext_missing.h5ad     /X an external link to a file that does not exist
  ext_not_hdf5.h5ad    /X an external link to README.md (not HDF5)
  ext_self.h5ad        /X an external link to this file itself
  ext_valid.h5ad       /X an external link to mini.h5ad (a valid AnnData file)
  ext_data.h5ad        /X/data an external link inside the X group
  soft_broken.h5ad     /X/data a soft link to a path that does not exist
  vds_external.h5ad    /X/data a virtual dataset whose source is mini.h5ad
  efl_data.h5ad        /X/data's raw values stored in an external file (/etc/passwd)
  nnz_2e28.h5ad        /X/data and /X/indices declare 2^28 values, chunked, nothing written; indptr ends at 2^28
  nnz_2e31.h5ad        the same at 2^31 (int64 indptr)
  nnz_2e33.h5ad        a 2^17 x 2^17 matrix declaring 2^33 stored values, nothing written (obs as mini)
  x_complex128.h5ad    /X/data complex128 (h5py's {r, i} compound)
  x_float16.h5ad       /X/data float16
  x_compound.h5ad      /X/data a compound {a: float64, b: int32}
  var_dup.h5ad         var names ok1, ok1, has_nan
  mask_short.h5ad      obs column 'age' nullable-integer, its mask one entry short of its values
  latin1_labels.h5ad   participant categories P00..P11 with P00, P01 renamed to Latin-1 bytes 'M\xfc', 'M\xe4'
"""
import os

import anndata
import h5py
import numpy as np
import pandas as pd
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "test", "fixtures", "hostile")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(7)


def base():
    rows = []
    for p in range(12):
        arm = "Treated" if p < 6 else "Control"
        for v in ("Pre", "Post", "Week4"):
            for c in range(3):
                rows.append((f"P{p:02d}", v, arm))
    obs = pd.DataFrame(rows, columns=["participant_id", "visit", "arm"])
    obs.index = [f"c{i}" for i in range(len(obs))]
    n = len(obs)
    treat = (obs.arm == "Treated").to_numpy().astype(float)
    post = (obs.visit == "Post").to_numpy().astype(float)
    pid = obs.participant_id.str[1:].astype(int).to_numpy()
    u = rng.normal(size=12)[pid]
    genes = {}
    genes["ok1"] = 2 + u + 0.8 * treat * post + rng.normal(size=n)
    genes["ok2"] = 1 + 0.5 * u + rng.normal(size=n)
    x = 1 + u + rng.normal(size=n)
    x[[0, 5, 40]] = np.nan
    genes["has_nan"] = x
    x = 1 + u + rng.normal(size=n)
    x[1] = np.inf  # P00 at Pre
    genes["has_inf"] = x
    genes["constant"] = np.full(n, 3.0)
    genes["all_zero"] = np.zeros(n)
    genes["huge"] = 1e300 * (1 + 0.1 * (u + rng.normal(size=n)))
    genes["tiny"] = 1e-300 * (1 + 0.1 * (u + rng.normal(size=n)))
    genes["collinear"] = treat * post
    X = np.column_stack(list(genes.values()))
    var = pd.DataFrame(index=list(genes.keys()))
    age = (40 + pid).astype(float)
    age[4] = np.nan
    obs["age"] = age
    score = rng.normal(size=n)
    score[10] = np.inf
    obs["score"] = score
    obs["cross_text"] = np.where(pid == 3, "maybe", "no")
    both = obs.arm.copy()
    both[(pid == 0) & (obs.visit == "Post").to_numpy()] = "Control"
    obs["both_arms"] = both
    obs["sex"] = np.where(pid % 2 == 0, "F", "M")
    for c in ("participant_id", "visit", "arm", "both_arms", "sex", "cross_text"):
        obs[c] = obs[c].astype("category")
    return obs, var, X


def write(name, obs, var, X):
    ad = anndata.AnnData(X=X, obs=obs, var=var, dtype=X.dtype)
    path = os.path.join(OUT, name)
    ad.write_h5ad(path)
    return path


def write_mini(name, obs, var_names, X):
    """A minimal AnnData layout by hand (fixed-length strings keep it a few KB)."""
    path = os.path.join(OUT, name)
    with h5py.File(path, "w") as f:
        f.attrs["encoding-type"] = "anndata"
        f.attrs["encoding-version"] = "0.1.0"
        cols = ["participant_id", "visit", "arm"]
        for fr, index, cs in (("obs", obs.index, cols), ("var", var_names, [])):
            g = f.create_group(fr)
            g.attrs["_index"] = "_index"
            g.attrs["encoding-type"] = "dataframe"
            g.attrs["encoding-version"] = "0.2.0"
            g.attrs["column-order"] = np.array(cs, dtype="S") if cs else np.array([], dtype="S1")
            ix = g.create_dataset("_index", data=np.array(list(index), dtype="S"))
            ix.attrs["encoding-type"] = "string-array"
            ix.attrs["encoding-version"] = "0.2.0"
            for c in cs:
                cg = g.create_group(c)
                cg.attrs["encoding-type"] = "categorical"
                cg.attrs["encoding-version"] = "0.2.0"
                cg.attrs["ordered"] = False
                cg.create_dataset("codes", data=obs[c].cat.codes.to_numpy().astype("i1"))
                cg.create_dataset("categories", data=np.array(list(obs[c].cat.categories), dtype="S"))
        x = f.create_group("X")
        x.attrs["encoding-type"] = "csr_matrix"
        x.attrs["encoding-version"] = "0.1.0"
        x.attrs["shape"] = np.array(X.shape)
        x.create_dataset("data", data=X.data)
        x.create_dataset("indices", data=X.indices.astype("i4"))
        x.create_dataset("indptr", data=X.indptr.astype("i4"))
    return path


def copy_and(name, src, fn):
    import shutil

    path = os.path.join(OUT, name)
    shutil.copy(src, path)
    with h5py.File(path, "r+") as f:
        fn(f)


obs, var, X = base()
values = write("values.h5ad", obs, var, sp.csr_matrix(X))
# the reader-level cases start from a smaller file: design columns and three genes
mini = write_mini("mini.h5ad", obs, var.index[:3], sp.csr_matrix(X[:, :3]))

with h5py.File(os.path.join(OUT, "not_anndata.h5ad"), "w") as f:
    f.create_dataset("measurements", data=np.arange(10.0))
    f.create_group("results").create_dataset("x", data=np.ones(3))


def future(f):
    f["X"].attrs["encoding-version"] = "9.0.0"


copy_and("future_version.h5ad", mini, future)


def future_obs(f):
    g = f["obs"].create_group("weight")
    g.attrs["encoding-type"] = "nullable-float64"
    g.attrs["encoding-version"] = "0.1.0"
    g.create_dataset("values", data=np.ones(f["obs/_index"].shape[0]))
    g.create_dataset("mask", data=np.zeros(f["obs/_index"].shape[0], dtype=bool))
    co = [x.decode() for x in f["obs"].attrs["column-order"]] + ["weight"]
    f["obs"].attrs["column-order"] = np.array(co, dtype="S")


copy_and("future_obs.h5ad", mini, future_obs)


def obs_short(f):
    g = f["obs"].create_group("age")
    g.attrs["encoding-type"] = "categorical"
    g.attrs["encoding-version"] = "0.2.0"
    g.attrs["ordered"] = False
    g.create_dataset("codes", data=np.zeros(f["obs/_index"].shape[0] - 1, dtype="i1"))
    g.create_dataset("categories", data=np.array(["40"], dtype="S"))
    co = [x.decode() for x in f["obs"].attrs["column-order"]] + ["age"]
    f["obs"].attrs["column-order"] = np.array(co, dtype="S")


copy_and("obs_short.h5ad", mini, obs_short)


def set_ptr(fn):
    def go(f):
        p = f["X/indptr"][:]
        fn(p)
        f["X/indptr"][:] = p

    return go


def nonmono(p):
    p[5] = p[9] + 3  # a row that ends after the next one starts


copy_and("indptr_nonmono.h5ad", mini, set_ptr(nonmono))


def past(p):
    p[-1] = p[-1] + 50


copy_and("indptr_past.h5ad", mini, set_ptr(past))


def set_idx(val):
    def go(f):
        ix = f["X/indices"][:]
        ix[17] = val
        f["X/indices"][:] = ix

    return go


copy_and("indices_oob.h5ad", mini, set_idx(1000))
copy_and("indices_neg.h5ad", mini, set_idx(-1))


def corrupt_chunk(name):
    def gz(f):
        d = f["X/data"][:]
        del f["X/data"]
        f["X"].create_dataset("data", data=d, chunks=(100,), compression="gzip")

    copy_and(name, mini, gz)
    path = os.path.join(OUT, name)
    with h5py.File(path, "r") as f:
        info = f["X/data"].id.get_chunk_info(1)
    with open(path, "r+b") as fh:  # a read of this chunk fails inside HDF5 (inflate error)
        fh.seek(info.byte_offset + 2)
        fh.write(b"\xff" * 24)


corrupt_chunk("data_corrupt_chunk.h5ad")

N = 2**32
s = h5py.string_dtype("utf-8")
with h5py.File(os.path.join(OUT, "huge_shape.h5ad"), "w") as f:
    f.attrs["encoding-type"] = "anndata"
    f.attrs["encoding-version"] = "0.1.0"
    for name, cols in (("obs", ["participant_id", "visit", "arm"]), ("var", [])):
        g = f.create_group(name)
        g.attrs["_index"] = "_index"
        g.attrs["encoding-type"] = "dataframe"
        g.attrs["encoding-version"] = "0.2.0"
        g.attrs["column-order"] = np.array(cols, dtype="S") if cols else np.array([], dtype="S1")
        g.create_dataset("_index", shape=(N,), dtype=s, chunks=(1024,))
        for c in cols:
            cg = g.create_group(c)
            cg.attrs["encoding-type"] = "categorical"
            cg.attrs["encoding-version"] = "0.2.0"
            cg.attrs["ordered"] = False
            cg.create_dataset("codes", shape=(N,), dtype="i1", chunks=(1024,))
            cg.create_dataset("categories", data=np.array(["Pre", "Post", "Treated", "Control"], dtype=object), dtype=s)
    x = f.create_dataset("X", shape=(N, N), dtype="f4", chunks=(64, 64))
    x.attrs["encoding-type"] = "array"
    x.attrs["encoding-version"] = "0.2.0"

e_obs = pd.DataFrame({"participant_id": pd.Categorical([]), "visit": pd.Categorical([]), "arm": pd.Categorical([])})
e_obs.index = pd.Index([], dtype=object)
write("empty_cells.h5ad", e_obs, pd.DataFrame(index=["g1", "g2", "g3"]), np.zeros((0, 3), dtype=np.float32))
write("empty_genes.h5ad", obs, pd.DataFrame(index=pd.Index([], dtype=object)), np.zeros((len(obs), 0), dtype=np.float32))

# ---- issue 12 -------------------------------------------------------------------------------------


def relink(name, target_file, target_path="/X", where="X"):
    def go(f):
        del f[where]
        f[where] = h5py.ExternalLink(target_file, target_path)

    copy_and(name, mini, go)


relink("ext_missing.h5ad", "missing.h5ad")
relink("ext_not_hdf5.h5ad", "README.md")
relink("ext_self.h5ad", "ext_self.h5ad")
relink("ext_valid.h5ad", "mini.h5ad")
relink("ext_data.h5ad", "mini.h5ad", "/X/data", "X/data")


def soft_broken(f):
    del f["X/data"]
    f["X/data"] = h5py.SoftLink("/nowhere/data")


copy_and("soft_broken.h5ad", mini, soft_broken)


def vds(f):
    n = f["X/data"].shape[0]
    layout = h5py.VirtualLayout(shape=(n,), dtype="f8")
    layout[:] = h5py.VirtualSource("mini.h5ad", "/X/data", shape=(n,))
    del f["X/data"]
    f["X"].create_virtual_dataset("data", layout)


copy_and("vds_external.h5ad", mini, vds)


def efl(f):
    n = f["X/data"].shape[0]
    del f["X/data"]
    f["X"].create_dataset("data", shape=(n,), dtype="f8", external=[("/etc/passwd", 0, n * 8)])


copy_and("efl_data.h5ad", mini, efl)


def huge_nnz(k):
    def go(f):
        n = 2**k
        del f["X/data"], f["X/indices"]
        f["X"].create_dataset("data", shape=(n,), dtype="f8", chunks=(1 << 16,))
        f["X"].create_dataset("indices", shape=(n,), dtype="i4" if k < 31 else "i8", chunks=(1 << 16,))
        p = f["X/indptr"][:].astype("i8")
        p[-1] = n
        del f["X/indptr"]
        f["X"].create_dataset("indptr", data=p)

    return go


copy_and("nnz_2e28.h5ad", mini, huge_nnz(28))
copy_and("nnz_2e31.h5ad", mini, huge_nnz(31))


def nnz_2e33(f):
    side, n = 2**17, 2**33
    del f["X/data"], f["X/indices"], f["X/indptr"]
    f["X"].attrs["shape"] = np.array([side, side])
    f["X"].create_dataset("data", shape=(n,), dtype="f4", chunks=(1 << 16,))
    f["X"].create_dataset("indices", shape=(n,), dtype="i8", chunks=(1 << 16,))
    f["X"].create_dataset("indptr", shape=(side + 1,), dtype="i8", chunks=(1 << 12,))


copy_and("nnz_2e33.h5ad", mini, nnz_2e33)


def data_as(dtype):
    def go(f):
        d = f["X/data"][:]
        del f["X/data"]
        if dtype == "compound":
            c = np.zeros(d.shape[0], dtype=[("a", "f8"), ("b", "i4")])
            c["a"] = d
            f["X"].create_dataset("data", data=c)
        else:
            f["X"].create_dataset("data", data=d.astype(dtype))

    return go


copy_and("x_complex128.h5ad", mini, data_as("complex128"))
copy_and("x_float16.h5ad", mini, data_as("f2"))
copy_and("x_compound.h5ad", mini, data_as("compound"))


def var_dup(f):
    del f["var/_index"]
    ix = f["var"].create_dataset("_index", data=np.array([b"ok1", b"ok1", b"has_nan"]))
    ix.attrs["encoding-type"] = "string-array"
    ix.attrs["encoding-version"] = "0.2.0"


copy_and("var_dup.h5ad", mini, var_dup)


def mask_short(f):
    n = f["obs/_index"].shape[0]
    g = f["obs"].create_group("age")
    g.attrs["encoding-type"] = "nullable-integer"
    g.attrs["encoding-version"] = "0.1.0"
    g.create_dataset("values", data=np.arange(n, dtype="i8"))
    g.create_dataset("mask", data=np.zeros(n - 1, dtype=bool))
    co = [x.decode() for x in f["obs"].attrs["column-order"]] + ["age"]
    f["obs"].attrs["column-order"] = np.array(co, dtype="S")


copy_and("mask_short.h5ad", mini, mask_short)


def latin1(f):
    cats = [x for x in f["obs/participant_id/categories"][:]]
    cats[0], cats[1] = "Mü".encode("latin-1"), "Mä".encode("latin-1")
    del f["obs/participant_id/categories"]
    f["obs/participant_id"].create_dataset("categories", data=np.array(cats, dtype=h5py.string_dtype("utf-8")))


copy_and("latin1_labels.h5ad", mini, latin1)
print("wrote", sorted(os.listdir(OUT)))
