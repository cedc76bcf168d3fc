// A progress bar on stderr for long scans: features done, rate, ETA. Silent unless stderr is a TTY.

export interface ProgressBar {
  update(done: number, total: number): void;
  finish(): void;
}

/** Start drawing only after `delayMs`, so short scans print nothing. */
export function progressBar(label: string, opts: { quiet?: boolean; delayMs?: number } = {}): ProgressBar {
  const stream = process.stderr;
  // TRIALMIX_STDERR_TTY=1: stderr reaches a terminal through a parent that relays it (runUnderLimit)
  const enabled = !opts.quiet && (stream.isTTY === true || process.env.TRIALMIX_STDERR_TTY === "1");
  const t0 = Date.now();
  const delay = opts.delayMs ?? 1000;
  let drawn = false;
  let last = 0;
  return {
    update(done, total) {
      if (!enabled) return;
      const now = Date.now();
      if (now - t0 < delay || (now - last < 100 && done < total)) return;
      last = now;
      const frac = total > 0 ? done / total : 1;
      const width = 30;
      const fill = Math.round(frac * width);
      const secs = (now - t0) / 1000;
      const rate = done / Math.max(secs, 1e-9);
      const eta = rate > 0 ? (total - done) / rate : 0;
      stream.write(
        `\r${label} [${"#".repeat(fill)}${"-".repeat(width - fill)}] ${done}/${total} ` +
          `${rate.toFixed(0)}/s ETA ${eta.toFixed(1)}s `,
      );
      drawn = true;
    },
    finish() {
      if (drawn) stream.write("\n");
    },
  };
}
