// Child process of test/properties.test.ts: read each .h5ad named on the command line through the
// built reader (dist/), as deeply as a scan would, and print one JSON line per file:
// {"i", "ms", "outcome": "ok" | "input-error" | "crash", "name", "message"}. A WASM abort or a
// hang can only take this process down, never vitest; "start" lines name the file being read.
import { readH5ad, inspectH5ad } from "../../dist/io/h5ad/reader.js";
import { frameOf } from "../../dist/api.js";
import { TrialmixInputError } from "../../dist/errors.js";

function deepRead(path) {
  const ad = readH5ad(path);
  try {
    const info = inspectH5ad(ad);
    if (info.n_obs !== ad.nObs || info.n_vars !== ad.nVars) throw new Error("inconsistent shape");
    for (const c of ad.obsColumns) if (ad.obsColumn(c).values.length !== ad.nObs) throw new Error(`obs column ${c} has the wrong length`);
    for (const layer of [null, ...ad.layers]) {
      const mi = ad.matrixInfo(layer);
      const [nr, nc] = mi.shape;
      for (const ch of ad.rowChunks(layer, 64)) {
        if (ch.kind === "dense") {
          if (ch.data.length !== (ch.rowEnd - ch.rowStart) * nc) throw new Error("dense chunk of the wrong size");
        } else {
          const bound = ch.kind === "csr" ? nc : nr;
          for (const x of ch.indices) if (!(x >= 0 && x < bound)) throw new Error(`index ${x} out of range in a successful read`);
          for (let k = 1; k < ch.indptr.length; k++) if (ch.indptr[k] < ch.indptr[k - 1]) throw new Error("non-monotone indptr in a successful read");
          if (ch.indptr[ch.indptr.length - 1] > ch.data.length) throw new Error("indptr past the data in a successful read");
        }
      }
    }
  } finally {
    ad.close();
  }
  // the scan's own path: design columns, pairing, aggregation
  try {
    frameOf(path, { visits: ["Pre", "Post"] });
  } catch (e) {
    if (!(e instanceof TrialmixInputError)) throw e;
  }
}

const files = process.argv.slice(2);
files.forEach((path, i) => {
  process.stdout.write(JSON.stringify({ start: i }) + "\n");
  const t0 = performance.now();
  let outcome = "ok";
  let name = "";
  let message = "";
  try {
    deepRead(path);
  } catch (e) {
    name = e?.name ?? typeof e;
    message = String(e?.message ?? e).split("\n")[0].slice(0, 300);
    outcome = e instanceof TrialmixInputError ? "input-error" : "crash";
  }
  process.stdout.write(JSON.stringify({ i, ms: performance.now() - t0, outcome, name, message }) + "\n");
});
