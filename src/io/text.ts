// Text decoded as UTF-8 strictly: invalid bytes are an error where the text enters (a table, an
// .h5ad string column), never U+FFFD replacements, which would merge distinct labels (Latin-1 'Mü'
// and 'Mä' both become 'M\uFFFD').
const strict = new TextDecoder("utf-8", { fatal: true });

/** The text, or null when the bytes are not valid UTF-8 (a leading byte-order mark is dropped). */
export function utf8Strict(bytes: Uint8Array): string | null {
  try {
    return strict.decode(bytes);
  } catch {
    return null;
  }
}

/** Offset of the first byte that is not part of a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) [need, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [need, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= n) return i; // truncated sequence
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** The bytes around an offset as hex, for a message ("0xFC"). */
export function hexBytes(b: Uint8Array, at: number, count = 2): string {
  return Array.from(b.subarray(at, Math.min(b.length, at + count)), (x) => `0x${x.toString(16).toUpperCase().padStart(2, "0")}`).join(" ");
}

/** A size in bytes for a message: KiB, MiB or GiB with one decimal. */
export function formatBytes(b: number): string {
  return b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(1)} GiB` : b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`;
}
