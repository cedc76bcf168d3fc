// The pool of fit workers, the same for Node worker threads (node-pool.ts) and Web Workers (web-pool.ts),
// which differ only in how a worker is started and messaged. A block goes to an idle worker or waits in
// the queue; a worker that fails fails the pool: every block waiting or in flight is rejected, and so is
// every later one (close the pool and start a new one).
import { fitRequest, replyResult, type FitReply, type ToFitWorker } from "./protocol.js";
import { THREADS_PER_CORE } from "../output/columns.js";
import { TrialmixInputError } from "../errors.js";
import type { BlockFitter, BlockResult } from "./fitter.js";
import type { BatchDesign, KernelOptions } from "../types.js";

/** One worker as the pool sees it. */
export interface PoolWorker {
  post(message: ToFitWorker, transfer: ArrayBuffer[]): void;
  terminate(): unknown;
}

/** What a worker tells its pool: a reply to its block, or that it failed. */
export interface WorkerEvents {
  reply(r: FitReply): void;
  fail(e: Error): void;
}

interface Job {
  id: number;
  design: BatchDesign;
  Y: Float64Array;
  opts: KernelOptions;
  resolve(r: BlockResult): void;
  reject(e: Error): void;
}

/** A thread count must be a whole number in 1..max: checked before any worker starts. */
export function checkThreadCount(threads: number, max: number, what: string): void {
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= max))
    throw new TrialmixInputError(`${what} must be a whole number from 1 to ${max} (${THREADS_PER_CORE} per core), got ${threads}`);
}

/** Workers that each hold a kernel instance. Start it early: it boots while the caller reads its file. */
export class WorkerPool implements BlockFitter {
  private readonly workers: PoolWorker[];
  private readonly busy: (Job | null)[];
  private readonly idle: number[] = [];
  private readonly queue: Job[] = [];
  private failure: Error | null = null;
  private nextId = 0;

  constructor(
    readonly threads: number,
    readonly minBlock: number,
    start: (index: number, events: WorkerEvents) => PoolWorker,
  ) {
    this.busy = new Array<Job | null>(threads).fill(null);
    this.workers = Array.from({ length: threads }, (_, i) => start(i, { reply: (r) => this.onReply(i, r), fail: (e) => this.fail(e) }));
    for (let i = threads - 1; i >= 0; i--) this.idle.push(i);
  }

  /** Fit one block (m x n responses, feature-major, its buffer transferred to the worker). */
  fit(design: BatchDesign, Y: Float64Array, opts: KernelOptions): Promise<BlockResult> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.queue.push({ id: this.nextId++, design, Y, opts, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const job = this.queue.shift()!;
      this.busy[w] = job;
      const { message, transfer } = fitRequest(job.id, job.design, job.Y, job.opts);
      this.workers[w].post(message, transfer);
    }
  }

  private onReply(w: number, r: FitReply): void {
    const job = this.busy[w];
    if (r.fatal !== undefined) return this.fail(new Error(`trialmix: fit worker: ${r.fatal}`));
    if (!job || job.id !== r.id) return this.fail(new Error(`trialmix: fit worker: a reply to no block (${r.id})`));
    this.busy[w] = null;
    this.idle.push(w);
    job.resolve(replyResult(r));
    this.dispatch();
  }

  /** Every block waiting or in flight is rejected with `e`, and so is every later one. */
  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    const jobs = [...this.busy.filter((j): j is Job => j !== null), ...this.queue.splice(0)];
    this.busy.fill(null);
    for (const j of jobs) j.reject(e);
  }

  /** Terminate the workers (a scan in progress fails). */
  close(): Promise<unknown> {
    this.fail(new Error("trialmix: the fit workers were closed"));
    return Promise.all(this.workers.map((w) => w.terminate()));
  }
}
