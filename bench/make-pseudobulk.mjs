// Write a pseudobulk .h5ad (one row per participant-visit, dense float32 X) with h5wasm, for the
// whole-CLI benchmark. Usage: node bench/make-pseudobulk.mjs OUT.h5ad [PARTICIPANTS=200] [GENES=20000]
import h5wasm from "h5wasm/node";
import { rng } from "./cases.mjs";

export async function makePseudobulk(out, participants = 200, genes = 20000, seed = 3) {
  await h5wasm.ready;
  const { gauss } = rng(seed);
  const n = participants * 2;
  const f = new h5wasm.File(out, "w");
  const enc = (obj, type, version = "0.2.0") => {
    obj.create_attribute("encoding-type", type);
    obj.create_attribute("encoding-version", version);
  };
  enc(f, "anndata", "0.1.0");
  const strings = (g, name, values) => {
    g.create_dataset({ name, data: values });
    enc(g.get(name), "string-array");
  };
  const pid = [], visit = [], arm = [];
  for (let i = 0; i < participants; i++)
    for (const v of ["Pre", "Post"]) {
      pid.push(`P${String(i).padStart(4, "0")}`);
      visit.push(v);
      arm.push(i % 2 ? "Treated" : "Control");
    }
  f.create_group("obs");
  const obs = f.get("obs");
  enc(obs, "dataframe");
  obs.create_attribute("_index", "_index");
  obs.create_attribute("column-order", ["participant_id", "visit", "arm"]);
  strings(obs, "_index", pid.map((p, r) => `${p}_${visit[r]}`));
  strings(obs, "participant_id", pid);
  strings(obs, "visit", visit);
  strings(obs, "arm", arm);
  f.create_group("var");
  const vr = f.get("var");
  enc(vr, "dataframe");
  vr.create_attribute("_index", "_index");
  vr.create_attribute("column-order", []);
  strings(vr, "_index", Array.from({ length: genes }, (_, g) => `G${String(g).padStart(5, "0")}`));
  const X = new Float32Array(n * genes);
  for (let g = 0; g < genes; g++) {
    const sdU = g % 5 === 0 ? 0 : Math.abs(gauss()) * 0.7;
    const did = g % 10 === 0 ? 0.5 : 0;
    for (let i = 0; i < participants; i++) {
      const u = sdU * gauss();
      for (let v = 0; v < 2; v++) X[(2 * i + v) * genes + g] = 5 + u + 0.2 * v + did * (i % 2) * v + gauss();
    }
  }
  f.create_dataset({ name: "X", data: X, shape: [n, genes], dtype: "<f" });
  enc(f.get("X"), "array");
  f.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [out, P, G] = process.argv.slice(2);
  await makePseudobulk(out, Number(P ?? 200), Number(G ?? 20000));
}
