"""Rewrite test/fixtures/basic.h5ad in other on-disk layouts, and write small encoding fixtures.

Usage: /usr/bin/python3 scripts/make-variants.py   (Debian's python3-anndata / python3-h5py)

Writes test/fixtures/variants/:
  basic_dense.h5ad    X dense float32 (gzip), first 40 genes, no layers
  basic_csr.h5ad      X csr_matrix, first 40 genes, layers['counts'] csr
  basic_csc.h5ad      X csc_matrix, first 40 genes
  basic_legacy07.h5ad anndata 0.7 layout: categorical codes with categories under
                      obs/__categories, plain string datasets, X as an h5sparse csr group
  encodings.h5ad      12 cells x 3 genes, every obs column encoding (categorical ordered,
                      string-array, int, float, bool, nullable-integer, nullable-boolean,
                      nullable-string-array), X dense int32
  bad_encoding.h5ad   an obs column and X with unknown encodings (errors expected)
The frames built from the basic_* files must equal ref/basic.frame.csv restricted to
sig_demo + the first 40 genes.
"""
import os

import anndata
import h5py
import numpy as np
import pandas as pd
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "test", "fixtures")
OUT = os.path.join(FIX, "variants")
NG = 40


def small_basic():
    ad = anndata.read_h5ad(os.path.join(FIX, "basic.h5ad"))
    ad = ad[:, :NG].copy()
    X = ad.X.toarray() if sp.issparse(ad.X) else np.asarray(ad.X)
    counts = ad.layers["counts"]
    counts = counts.toarray() if sp.issparse(counts) else np.asarray(counts)
    obs = ad.obs.copy()
    var = ad.var.copy()
    return obs, var, X.astype(np.float32), counts.astype(np.float32)


def write_anndata(path, obs, var, X, layers=None, compression=None):
    ad = anndata.AnnData(X=X, obs=obs, var=var)
    for k, v in (layers or {}).items():
        ad.layers[k] = v
    ad.write_h5ad(path, compression=compression)


def str_dt():
    return h5py.string_dtype("utf-8")


def write_legacy07(path, obs, var, X):
    """The anndata 0.7 on-disk layout (written by hand: anndata >= 0.8 cannot write it)."""
    with h5py.File(path, "w") as f:
        f.attrs["encoding-type"] = "anndata"
        f.attrs["encoding-version"] = "0.1.0"
        for name, df in (("obs", obs), ("var", var)):
            g = f.create_group(name)
            g.attrs["_index"] = "_index"
            g.attrs["column-order"] = np.array(list(df.columns), dtype=object).astype(str).astype("S")
            g.attrs["encoding-type"] = "dataframe"
            g.attrs["encoding-version"] = "0.1.0"
            g.create_dataset("_index", data=np.array(df.index.astype(str), dtype=object), dtype=str_dt())
            cats = None
            for c in df.columns:
                s = df[c]
                if isinstance(s.dtype, pd.CategoricalDtype):
                    if cats is None:
                        cats = g.create_group("__categories")
                    cd = cats.create_dataset(c, data=np.array(s.cat.categories.astype(str), dtype=object), dtype=str_dt())
                    ds = g.create_dataset(c, data=s.cat.codes.to_numpy())
                    ds.attrs["categories"] = cd.ref
                    if s.cat.ordered:
                        ds.attrs["ordered"] = True
                elif s.dtype == object:
                    g.create_dataset(c, data=np.array(s.astype(str), dtype=object), dtype=str_dt())
                else:
                    g.create_dataset(c, data=s.to_numpy())
        m = sp.csr_matrix(X)
        xg = f.create_group("X")
        xg.attrs["h5sparse_format"] = "csr"
        xg.attrs["h5sparse_shape"] = np.array(m.shape)
        xg.create_dataset("data", data=m.data, compression="gzip")
        xg.create_dataset("indices", data=m.indices, compression="gzip")
        xg.create_dataset("indptr", data=m.indptr)
        f.create_group("layers")
        f.create_group("uns")


def write_encodings(path):
    n = 12
    with h5py.File(path, "w") as f:
        f.attrs["encoding-type"] = "anndata"
        f.attrs["encoding-version"] = "0.1.0"

        def enc(obj, t, v="0.2.0"):
            obj.attrs["encoding-type"] = t
            obj.attrs["encoding-version"] = v

        obs = f.create_group("obs")
        enc(obs, "dataframe")
        cols = ["participant_id", "visit", "arm", "dose", "label", "count", "score", "flag",
                "n_int", "n_bool", "n_str", "crossover_txt"]
        obs.attrs["_index"] = "cell"
        obs.attrs["column-order"] = np.array(cols, dtype="S")
        obs.create_dataset("cell", data=np.array([f"c{i}" for i in range(n)], dtype=object), dtype=str_dt())
        enc(obs["cell"], "string-array")

        def categorical(name, values, categories, ordered=False):
            g = obs.create_group(name)
            enc(g, "categorical")
            g.attrs["ordered"] = ordered
            codes = np.array([categories.index(v) if v is not None else -1 for v in values], dtype=np.int8)
            g.create_dataset("codes", data=codes)
            enc(g["codes"], "array")
            g.create_dataset("categories", data=np.array(categories, dtype=object), dtype=str_dt())
            enc(g["categories"], "string-array")

        parts = ["A", "A", "A", "B", "B", "B", "C", "C", "C", "D", "D", "D"]
        visits = ["Pre", "Post", "Post", "Pre", "Pre", "Post", "Pre", "Post", "Post", "Pre", "Post", "Post"]
        arms = ["Treated"] * 3 + ["Control"] * 3 + ["Treated"] * 3 + ["Control"] * 3
        categorical("participant_id", parts, ["A", "B", "C", "D"])
        categorical("visit", visits, ["Post", "Pre"])
        categorical("arm", arms, ["Control", "Treated"])
        dose = ["low", "high", None, "mid", "low", "high", "mid", "mid", "low", "high", "low", None]
        categorical("dose", dose, ["low", "mid", "high"], ordered=True)
        obs.create_dataset("label", data=np.array([f"L{i % 4}" for i in range(n)], dtype=object), dtype=str_dt())
        enc(obs["label"], "string-array")
        obs.create_dataset("count", data=np.arange(n, dtype=np.int64))
        enc(obs["count"], "array")
        score = np.linspace(0.5, 6.0, n)
        score[4] = np.nan
        obs.create_dataset("score", data=score)
        enc(obs["score"], "array")
        obs.create_dataset("flag", data=np.array([i % 3 == 0 for i in range(n)]))
        enc(obs["flag"], "array")
        g = obs.create_group("n_int")
        enc(g, "nullable-integer", "0.1.0")
        g.create_dataset("values", data=np.arange(n, dtype=np.int32) * 10)
        g.create_dataset("mask", data=np.array([i in (2, 7) for i in range(n)]))
        g = obs.create_group("n_bool")
        enc(g, "nullable-boolean", "0.1.0")
        g.create_dataset("values", data=np.array([i % 2 == 1 for i in range(n)]))
        g.create_dataset("mask", data=np.array([i == 5 for i in range(n)]))
        g = obs.create_group("n_str")
        enc(g, "nullable-string-array", "0.1.0")
        g.create_dataset("values", data=np.array([f"s{i}" for i in range(n)], dtype=object), dtype=str_dt())
        g.create_dataset("mask", data=np.array([i in (0, 11) for i in range(n)]))
        xo = ["no", "no", "YES", "no", "no", "no", "n", "no", " true ", "0", "no", "no"]
        obs.create_dataset("crossover_txt", data=np.array(xo, dtype=object), dtype=str_dt())
        enc(obs["crossover_txt"], "string-array")

        var = f.create_group("var")
        enc(var, "dataframe")
        var.attrs["_index"] = "_index"
        var.attrs["column-order"] = np.array([], dtype="S")
        var.create_dataset("_index", data=np.array(["g1", "g2", "g3"], dtype=object), dtype=str_dt())
        enc(var["_index"], "string-array")
        X = (np.arange(n * 3, dtype=np.int32).reshape(n, 3) % 7)
        f.create_dataset("X", data=X)
        enc(f["X"], "array")
        lay = f.create_group("layers")
        enc(lay, "dict", "0.1.0")


def write_bad(path):
    with h5py.File(path, "w") as f:
        obs = f.create_group("obs")
        obs.attrs["encoding-type"] = "dataframe"
        obs.attrs["encoding-version"] = "0.2.0"
        obs.attrs["_index"] = "_index"
        obs.attrs["column-order"] = np.array(["weird"], dtype="S")
        obs.create_dataset("_index", data=np.array(["a", "b"], dtype=object), dtype=str_dt())
        g = obs.create_group("weird")
        g.attrs["encoding-type"] = "awkward-array"
        g.attrs["encoding-version"] = "0.1.0"
        var = f.create_group("var")
        var.attrs["encoding-type"] = "dataframe"
        var.attrs["_index"] = "_index"
        var.attrs["column-order"] = np.array([], dtype="S")
        var.create_dataset("_index", data=np.array(["g1"], dtype=object), dtype=str_dt())
        x = f.create_group("X")
        x.attrs["encoding-type"] = "coo_matrix"
        x.attrs["shape"] = np.array([2, 1])


def main():
    os.makedirs(OUT, exist_ok=True)
    obs, var, X, counts = small_basic()
    write_anndata(os.path.join(OUT, "basic_dense.h5ad"), obs, var, X, compression="gzip")
    write_anndata(os.path.join(OUT, "basic_csr.h5ad"), obs, var, sp.csr_matrix(X),
                  layers={"counts": sp.csr_matrix(counts)}, compression="gzip")
    write_anndata(os.path.join(OUT, "basic_csc.h5ad"), obs, var, sp.csc_matrix(X), compression="gzip")
    write_legacy07(os.path.join(OUT, "basic_legacy07.h5ad"), obs, var, X)
    write_encodings(os.path.join(OUT, "encodings.h5ad"))
    write_bad(os.path.join(OUT, "bad_encoding.h5ad"))
    for fn in sorted(os.listdir(OUT)):
        print(fn, os.path.getsize(os.path.join(OUT, fn)))


if __name__ == "__main__":
    main()
