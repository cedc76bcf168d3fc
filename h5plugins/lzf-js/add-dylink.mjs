// Prepend the `dylink.0` custom section Emscripten's loader needs (memory 60 bytes, align 2^2, table 1 slot).
import fs from "node:fs";
const [inp, out] = process.argv.slice(2);
const wasm = fs.readFileSync(inp);
const uleb = (n) => { const b = []; do { let x = n & 0x7f; n >>>= 7; if (n) x |= 0x80; b.push(x); } while (n); return b; };
const name = [...Buffer.from("dylink.0")];
const memInfo = [...uleb(64), ...uleb(2), ...uleb(1), ...uleb(0)]; // memorySize, memoryAlign (log2), tableSize, tableAlign
const sub = [1, ...uleb(memInfo.length), ...memInfo]; // WASM_DYLINK_MEM_INFO
const body = [...uleb(name.length), ...name, ...sub];
const section = Buffer.from([0, ...uleb(body.length), ...body]);
fs.writeFileSync(out, Buffer.concat([wasm.subarray(0, 8), section, wasm.subarray(8)]));
console.log(`${out}: ${8 + section.length + wasm.length - 8} bytes`);
