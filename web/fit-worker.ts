// A fit worker of the Web Worker pool (WebFitPool, src/exec/web-pool.ts): holds its own kernel instance and
// fits the blocks it is sent, by the protocol of src/exec/protocol.ts (first an `init` with the kernel's
// URL). Built to dist-web/trialmix-fit-worker.js; it imports only the kernel and the protocol, so it loads fast.
import { fitWorkerHandler, type ToFitWorker } from "../src/exec/protocol.js";

const scope = self as unknown as { postMessage(m: unknown, transfer: Transferable[]): void; onmessage: ((ev: MessageEvent<ToFitWorker>) => unknown) | null };
const handle = fitWorkerHandler((m, transfer) => scope.postMessage(m, transfer), true);
scope.onmessage = (ev) => handle(ev.data);
