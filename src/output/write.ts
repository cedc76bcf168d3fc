// Writing the CLI's results (Node): output files are written whole or not at all (a temporary file
// beside the target, renamed over it), keep the mode of the file they replace, and are written
// through a symlinked --out (the link stays, its target is replaced). The temporary files being
// written are known here, so that a signal handler can remove them. stdout: a reader that goes away
// early (`| head`) ends the run quietly; a full device is one line.
import { promises as fsp, lstatSync, readlinkSync, statSync, accessSync, mkdirSync, unlinkSync, constants } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { TrialmixRunError } from "../errors.js";
import { errnoText } from "../io/files.js";

const pending = new Set<string>();

/** Remove the temporary files of writes in progress (a signal handler calls this before exiting). */
export function removePendingOutputs(): number {
  let n = 0;
  for (const p of pending) {
    try {
      unlinkSync(p);
      n++;
    } catch {
      /* already gone */
    }
  }
  pending.clear();
  return n;
}

const fail = (label: string, path: string, why: string): TrialmixRunError => new TrialmixRunError(`cannot write ${label} '${path}': ${why}`);

/**
 * Where writing `path` lands: the path itself, or the final target of a chain of symlinks (a
 * dangling link's target is created, as the shell's `>` does). An existing target must be a
 * regular file: a folder, a device or a FIFO is refused.
 */
export function outputTarget(path: string, label = "--out"): string {
  let p = resolve(path);
  for (let hops = 0; hops <= 40; hops++) {
    let st;
    try {
      st = lstatSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return p;
      throw fail(label, path, errnoText(e));
    }
    if (st.isSymbolicLink()) {
      p = resolve(dirname(p), readlinkSync(p));
      continue;
    }
    if (st.isDirectory()) throw fail(label, path, "it is a folder");
    if (!st.isFile()) throw fail(label, path, `it is not a regular file${p !== resolve(path) ? ` (it links to '${p}')` : ""}`);
    return p;
  }
  throw fail(label, path, errnoText({ code: "ELOOP" }));
}

/** Check before the work starts that `path` can be written (its folder exists, is a folder and is writable). */
export function checkOutput(path: string, label = "--out"): void {
  const target = outputTarget(path, label);
  const dir = dirname(target);
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    throw fail(label, path, (e as NodeJS.ErrnoException).code === "ENOENT" ? `folder '${dir}' does not exist` : errnoText(e));
  }
  if (!st.isDirectory()) throw fail(label, path, `'${dir}' is not a folder`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw fail(label, path, `folder '${dir}' is not writable`);
  }
}

/**
 * Make a folder and its missing parents one at a time (not mkdir -p: Node's recursive mkdir spins on
 * /proc paths), checking that what exists on the way is a folder.
 */
export function makeFolder(path: string, label = "--out"): string {
  const dir = resolve(path);
  const missing: string[] = [];
  let p = dir;
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw fail(label, path, errnoText(e));
      missing.unshift(p);
      const up = dirname(p);
      if (up === p) break;
      p = up;
      continue;
    }
    if (!st.isDirectory()) throw fail(label, path, p === dir ? "it exists and is not a folder" : `'${p}' is not a folder`);
    break;
  }
  for (const m of missing)
    try {
      mkdirSync(m);
    } catch (e) {
      throw fail(label, path, `cannot make folder '${m}' (${(e as NodeJS.ErrnoException).code === "ENOENT" ? "folders cannot be made there" : errnoText(e)})`);
    }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw fail(label, path, `folder '${dir}' is not writable`);
  }
  return dir;
}

/** Bytes per write: between writes the event loop runs, so a signal is handled while a large file is written. */
const WRITE_CHUNK = 1 << 20;

/**
 * Write `text` to `path` atomically: a temporary file beside the target (`.NAME.PID.tmp`), written in
 * chunks, flushed to disk, given the mode of the file it replaces, then renamed over it. A failed or
 * interrupted write leaves the target as it was and no temporary file.
 */
export async function writeAtomic(path: string, text: string, label = "--out"): Promise<void> {
  const target = outputTarget(path, label);
  let mode: number | undefined;
  try {
    mode = statSync(target).mode & 0o7777;
  } catch {
    mode = undefined; // a new file: the default mode (0666 less the umask)
  }
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  const bytes = Buffer.from(text, "utf8");
  pending.add(tmp);
  let fh: fsp.FileHandle | undefined;
  try {
    // O_EXCL: a link planted at the temporary name is not followed (a stale one is removed first)
    fh = await fsp.open(tmp, "wx", mode ?? 0o666).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== "EEXIST") throw e;
      unlinkSync(tmp);
      return fsp.open(tmp, "wx", mode ?? 0o666);
    });
    if (mode !== undefined) await fh.chmod(mode); // open's mode is masked by the umask
    for (let off = 0; off < bytes.length; off += WRITE_CHUNK) {
      const end = Math.min(bytes.length, off + WRITE_CHUNK);
      let at = off;
      while (at < end) at += (await fh.write(bytes, at, end - at, at)).bytesWritten;
    }
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fsp.rename(tmp, target);
    pending.delete(tmp);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    try {
      unlinkSync(tmp);
    } catch {
      /* not made */
    }
    pending.delete(tmp);
    throw fail(label, path, errnoText(e));
  }
}

let stdoutGuarded = false;

/**
 * Write to stdout and wait until it is taken. A reader that closed early (EPIPE: `trialmix ... | head`)
 * ends the process quietly with status 0, as `head` users expect; another failure (ENOSPC on
 * /dev/full) is a TrialmixRunError.
 */
export function writeStdout(text: string): Promise<void> {
  if (!stdoutGuarded) {
    stdoutGuarded = true;
    // the stream also emits each write's error: without a listener it would be thrown as uncaught
    process.stdout.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(0);
    });
  }
  return new Promise((ok, ko) => {
    process.stdout.write(text, (e) => {
      if (!e) return ok();
      if ((e as NodeJS.ErrnoException).code === "EPIPE") process.exit(0);
      ko(new TrialmixRunError(`cannot write the output to stdout: ${errnoText(e)}`));
    });
  });
}
