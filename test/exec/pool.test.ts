// The pool core shared by the Node and Web Worker pools, with in-process workers that answer by the
// one protocol: blocks to idle workers or queued, results to their blocks, failure and close.
import { describe, it, expect } from "vitest";
import { WorkerPool, type PoolWorker, type WorkerEvents } from "../../src/exec/worker-pool.js";
import { answer, fitRequest, type FitReply, type ToFitWorker } from "../../src/exec/protocol.js";
import { fitBatch, fitBuffers } from "../../src/kernel/index.js";
import { makeDidCase } from "../../bench/cases.mjs";

const { design, Y } = makeDidCase({ participants: 12, features: 10, seed: 4 }) as { design: Parameters<typeof fitBatch>[0]; Y: Float64Array };
const block = (k: number) => Y.slice(k * 2 * design.n, (k + 1) * 2 * design.n); // 2 features a block

/** A pool of in-process workers answering after a tick; `reply` may replace a worker's answer. */
function fakePool(threads: number, reply?: (m: Extract<ToFitWorker, { type: "fit" }>) => FitReply | null) {
  const log = { inFlight: 0, most: 0, terminated: 0 };
  const start = (_: number, events: WorkerEvents): PoolWorker => ({
    post(m) {
      if (m.type !== "fit") return;
      log.most = Math.max(log.most, ++log.inFlight);
      setTimeout(() => {
        log.inFlight--;
        const r = reply ? reply(m) : answer(m).message;
        if (r) events.reply(r);
      }, 1);
    },
    terminate: () => log.terminated++,
  });
  return { pool: new WorkerPool(threads, 1, start), log };
}

describe("WorkerPool", () => {
  it("fits every block on an idle worker or queues it: each result is its block's fit, its responses handed back", async () => {
    const { pool, log } = fakePool(2);
    const results = await Promise.all([0, 1, 2, 3, 4].map((k) => pool.fit(design, block(k), {})));
    expect(log.most).toBe(2);
    results.forEach((r, k) => {
      expect("fit" in r && r.fit).toEqual(fitBatch(design, block(k)));
      expect(r.Y).toEqual(block(k));
    });
    await pool.close();
    expect(log.terminated).toBe(2);
  });

  it("a block the kernel refuses is that block's error; the pool goes on", async () => {
    const { pool } = fakePool(1);
    const bad = await pool.fit(design, new Float64Array(design.n + 1), {});
    expect("error" in bad && bad.error).toMatch(/not a multiple of n/);
    const good = await pool.fit(design, block(0), {});
    expect("fit" in good).toBe(true);
  });

  it("a worker without a kernel fails the blocks in flight, those queued and every later one; close fails them too", async () => {
    const { pool } = fakePool(1, (m) => ({ id: m.id, fatal: "cannot load the kernel: 404" }));
    const pending = [pool.fit(design, block(0), {}), pool.fit(design, block(1), {})];
    for (const p of pending) await expect(p).rejects.toThrow(/fit worker: cannot load the kernel: 404/);
    await expect(pool.fit(design, block(2), {})).rejects.toThrow(/cannot load the kernel/);
    const other = fakePool(1, () => null).pool; // never answers
    const hung = other.fit(design, block(0), {});
    await other.close();
    await expect(hung).rejects.toThrow(/fit workers were closed/);
  });
});

describe("protocol", () => {
  it("moves the responses out and back, and the fit's arrays back, without copying", () => {
    const Yk = block(1);
    const req = fitRequest(7, design, Yk, {});
    expect(req.transfer).toEqual([Yk.buffer]);
    const { message, transfer } = answer(req.message);
    expect(message.id).toBe(7);
    expect(message.Y).toBe(Yk);
    expect(new Set(transfer)).toEqual(new Set([...fitBuffers(message.fit!), Yk.buffer]));
  });
});
