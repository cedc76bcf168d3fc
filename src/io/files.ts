// Input files (Node): only regular files are read, never a FIFO, a device or a folder (a FIFO would
// block the read, /dev/zero would fill memory), and whole-file reads are bounded. Errors name the
// path and the problem (a symlink loop says so) in one line: TrialmixInputError.
import { openSync, fstatSync, readSync, closeSync, statSync, readFileSync, constants, type Stats } from "node:fs";
import { TrialmixInputError } from "../errors.js";

/** What a path that is not a regular file is, for the message. */
function kindOf(st: Stats): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return "it is a folder";
  if (st.isFIFO()) return "it is a named pipe (FIFO)";
  if (st.isCharacterDevice()) return "it is a character device";
  if (st.isBlockDevice()) return "it is a block device";
  if (st.isSocket()) return "it is a socket";
  return "it is not a regular file";
}

/** A system error as words (ENOENT: no such file, ELOOP: a symlink loop, ...). */
export function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "ELOOP":
      return "too many levels of symbolic links (a symlink loop)";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOTDIR":
      return "a part of the path is not a folder";
    case "ENAMETOOLONG":
      return "the name is too long";
    case "EISDIR":
      return "it is a folder";
    case "EMFILE":
    case "ENFILE":
      return "too many open files";
    case "ENOSPC":
      return "no space left on the device (ENOSPC)";
    case "EDQUOT":
      return "disk quota exceeded (EDQUOT)";
    case "EROFS":
      return "read-only file system (EROFS)";
    case "EIO":
      return "input/output error (EIO)";
    default:
      return code ?? (e as Error)?.message ?? String(e);
  }
}

/** null when `path` is a regular file (symlinks followed); otherwise why it cannot be an input. */
export function notRegularFile(path: string): string | null {
  try {
    return kindOf(statSync(path));
  } catch (e) {
    return errnoText(e);
  }
}

/** Throw TrialmixInputError (`cannot read <label> '<path>': <why>; expected a regular file`) unless path is a regular file. */
export function checkRegularFile(path: string, label = ""): void {
  const why = notRegularFile(path);
  if (why !== null) throw unreadable(path, label, why);
}

function unreadable(path: string, label: string, why: string): TrialmixInputError {
  const expected = why.startsWith("it is") ? "; expected a regular file" : "";
  return new TrialmixInputError(`cannot read ${label ? `${label} ` : ""}'${path}': ${why}${expected}`);
}

/**
 * The bytes of a regular file, at most maxBytes (more is an error that says how large the file is).
 * Opened without blocking and checked on the open descriptor, so a FIFO swapped in after the check
 * cannot hang the read; a file whose size lies (/proc) is read to its end, still bounded.
 */
export function readRegularFile(path: string, maxBytes: number, label = ""): Uint8Array {
  checkRegularFile(path, label);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    throw unreadable(path, label, errnoText(e));
  }
  try {
    const st = fstatSync(fd);
    const why = kindOf(st);
    if (why !== null) throw unreadable(path, label, why);
    if (st.size > maxBytes) throw tooLarge(path, label, st.size, maxBytes);
    let buf = new Uint8Array(Math.min(maxBytes, st.size) + 1);
    let len = 0;
    for (;;) {
      if (len === buf.length) {
        if (len > maxBytes) throw tooLarge(path, label, len, maxBytes);
        const bigger = new Uint8Array(Math.min(maxBytes + 1, Math.max(buf.length * 2, 1 << 16)));
        bigger.set(buf);
        buf = bigger;
      }
      let k: number;
      try {
        k = readSync(fd, buf, len, buf.length - len, null);
      } catch (e) {
        throw unreadable(path, label, errnoText(e));
      }
      if (k === 0) break;
      len += k;
    }
    if (len > maxBytes) throw tooLarge(path, label, len, maxBytes);
    return buf.subarray(0, len);
  } finally {
    closeSync(fd);
  }
}

function tooLarge(path: string, label: string, size: number, max: number): TrialmixInputError {
  const mib = (x: number) => `${(x / 2 ** 20).toFixed(x < 2 ** 24 ? 1 : 0)} MiB`;
  return new TrialmixInputError(
    `cannot read ${label ? `${label} ` : ""}'${path}': it holds more than ${mib(max)} (${mib(size)} or more); ` +
      `a file of this kind is read whole and may hold at most ${mib(max)}`,
  );
}

/** The soft address-space limit (ulimit -v) in bytes, from /proc/self/limits (Linux); Infinity when unlimited or unknown. */
export function addressSpaceLimit(): number {
  try {
    const m = /^Max address space\s+(\S+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return !m || m[1] === "unlimited" ? Infinity : Number(m[1]);
  } catch {
    return Infinity;
  }
}
