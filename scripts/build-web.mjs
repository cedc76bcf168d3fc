#!/usr/bin/env node
// Build the browser side into dist-web/ (static files, no backend):
//   dist-web/trialmix.js    the embeddable library (ESM), from src/browser.ts
//   dist-web/app.js         the page's UI, from web/app.ts
//   dist-web/worker.js      the scan worker (module worker), from web/worker.ts
//   dist-web/trialmix-fit-worker.js  a fit worker of the Web Worker pool (kernel only), from web/fit-worker.ts
//   dist-web/index.html, style.css, trialmix.wasm (the kernel), example.h5ad
//   dist-web/h5plugins/  the HDF5 filter plugins (h5plugins/*.so and their licences), fetched by
//                        host-browser.ts next to trialmix.js / worker.js
// The bundles swap src/io/h5ad/host-node.ts for src/io/h5ad/host-browser.ts (h5wasm's browser ESM build,
// which embeds its own wasm). Node built-ins still imported by shared modules (e.g. table.ts's
// readFileSync for paths) are replaced by stubs that throw when called; they are listed.
// Usage: node scripts/build-web.mjs [--out DIR] [--no-minify]
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, copyFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const outIdx = args.indexOf("--out");
const out = resolve(outIdx >= 0 ? args[outIdx + 1] : join(root, "dist-web"));
const minify = !args.includes("--no-minify");

function run(cmd, argv) {
  const bin = join(root, "node_modules", ".bin", cmd);
  console.log(`build-web: ${cmd} ${argv.join(" ")}`);
  const r = spawnSync(existsSync(bin) ? bin : cmd, argv, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`build-web: ${cmd} failed (exit ${r.status})`);
}

// The kernel: build it (and the Node library, for the CLI the docs compare with) when missing.
const wasm = join(root, "dist", "trialmix.wasm");
if (!existsSync(wasm)) {
  run("asc", ["assembly/index.ts", "--target", "release"]);
  if (!existsSync(join(root, "dist", "index.js"))) {
    run("tsc", ["-p", "tsconfig.json"]);
    if (existsSync(join(root, "scripts", "postbuild.mjs"))) {
      const r = spawnSync(process.execPath, [join(root, "scripts", "postbuild.mjs")], { cwd: root, stdio: "inherit" });
      if (r.status !== 0) throw new Error("build-web: postbuild failed");
    }
  }
}
if (!existsSync(wasm)) throw new Error(`build-web: ${wasm} is missing after the asc build`);

/** Node built-ins imported anywhere in the bundle -> stub module; records who imported what. */
const stubbed = new Map();
const browserPlugin = {
  name: "trialmix-browser",
  setup(b) {
    b.onResolve({ filter: /(^|\/)host-node(\.js|\.ts)?$/ }, () => ({ path: join(root, "src", "io", "h5ad", "host-browser.ts") }));
    b.onResolve({ filter: /^h5wasm\/node$/ }, () => ({ errors: [{ text: "h5wasm/node must not be in the browser bundle (import it only from src/io/h5ad/host-node.ts)" }] }));
    const builtin = new RegExp(`^(node:)?(${builtinModules.map((m) => m.replace(/[/.]/g, "\\$&")).join("|")})$`);
    b.onResolve({ filter: builtin }, (a) => {
      const id = a.path.replace(/^node:/, "");
      const who = a.importer ? a.importer.replace(root + "/", "") : "?";
      if (!stubbed.has(id)) stubbed.set(id, new Set());
      stubbed.get(id).add(who);
      return { path: id, namespace: "node-stub" };
    });
    b.onLoad({ filter: /.*/, namespace: "node-stub" }, async (a) => {
      let names = [];
      try {
        names = Object.keys(await import(`node:${a.path}`)).filter((k) => k !== "default" && /^[A-Za-z_$][\w$]*$/.test(k));
      } catch {
        /* unknown module: default export only */
      }
      const lines = [
        `const unavailable = (n) => function () { throw new Error("trialmix: node:${a.path}." + n + " is not available in a browser (pass bytes or a File instead of a path)"); };`,
        ...names.map((n) => `export const ${n} = unavailable(${JSON.stringify(n)});`),
        `export default new Proxy({}, { get: (_, k) => (typeof k === "string" ? unavailable(k) : undefined) });`,
      ];
      return { contents: lines.join("\n"), loader: "js" };
    });
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022", "chrome110", "firefox115", "safari16"],
  minify,
  legalComments: "inline",
  logLevel: "warning",
  plugins: [browserPlugin],
  define: { "process.env.NODE_ENV": '"production"' },
};

const t0 = Date.now();
await build({ ...common, entryPoints: { trialmix: join(root, "src", "browser.ts") }, outdir: out });
await build({
  ...common,
  entryPoints: { app: join(root, "web", "app.ts"), worker: join(root, "web", "worker.ts"), "trialmix-fit-worker": join(root, "web", "fit-worker.ts") },
  outdir: out,
});

copyFileSync(join(root, "web", "index.html"), join(out, "index.html"));
copyFileSync(join(root, "web", "style.css"), join(out, "style.css"));
copyFileSync(wasm, join(out, "trialmix.wasm"));
mkdirSync(join(out, "h5plugins"));
for (const f of readdirSync(join(root, "h5plugins")))
  if (/\.so$|^(COPYING|LICENSE|README\.md)$/.test(f)) copyFileSync(join(root, "h5plugins", f), join(out, "h5plugins", f));
const example = join(root, "examples", "example.h5ad");
if (existsSync(example)) copyFileSync(example, join(out, "example.h5ad"));

for (const [id, who] of stubbed) console.log(`build-web: note: node:${id} stubbed (imported by ${[...who].join(", ")}); calling it in a browser throws`);
const kb = (f) => (existsSync(join(out, f)) ? `${(statSync(join(out, f)).size / 1024).toFixed(0)} kB` : "missing");
console.log(
  `build-web: wrote ${out} in ${Date.now() - t0} ms (trialmix.js ${kb("trialmix.js")}, app.js ${kb("app.js")}, worker.js ${kb("worker.js")}, trialmix-fit-worker.js ${kb("trialmix-fit-worker.js")}, trialmix.wasm ${kb("trialmix.wasm")})`,
);
