#!/usr/bin/env node
// A tiny static file server for dist-web/ on 127.0.0.1 (npm run web). Any static server works
// as well; this one only adds the right MIME types (application/wasm, text/javascript).
// Usage: node scripts/serve-web.mjs [--dir dist-web] [--port 8080]   (--port 0: any free port)
import { createServer } from "node:http";
import { createReadStream, statSync } from "node:fs";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".map": "application/json",
  ".h5ad": "application/octet-stream",
  ".csv": "text/csv; charset=utf-8",
};

/** Serve `dir` on host:port; resolves to { server, url }. */
export function startServer({ dir, port = 8080, host = "127.0.0.1" } = {}) {
  const rootDir = resolve(dir ?? join(dirname(fileURLToPath(import.meta.url)), "..", "dist-web"));
  const server = createServer((req, res) => {
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    } catch {
      res.writeHead(400).end("bad request");
      return;
    }
    if (rel.endsWith("/")) rel += "index.html";
    const file = normalize(join(rootDir, rel));
    if (file !== rootDir && !file.startsWith(rootDir + sep)) {
      res.writeHead(403).end("forbidden");
      return;
    }
    let st;
    try {
      st = statSync(file);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    if (!st.isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
      "content-length": st.size,
      "cache-control": "no-cache",
    });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => {
      const addr = server.address();
      ok({ server, url: `http://${host}:${addr.port}/` });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const get = (k) => (args.indexOf(k) >= 0 ? args[args.indexOf(k) + 1] : undefined);
  const port = Number(get("--port") ?? process.env.PORT ?? 8080);
  const dir = get("--dir");
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  startServer({ dir: dir ?? join(root, "dist-web"), port })
    .then(({ url }) => console.log(`trialmix web: serving ${dir ?? "dist-web"} at ${url}  (Ctrl-C to stop)`))
    .catch((e) => {
      console.error(`trialmix web: cannot listen: ${e.message}`);
      process.exit(1);
    });
}
