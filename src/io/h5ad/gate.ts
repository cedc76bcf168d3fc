// The files HDF5 may open while trialmix's calls run (host.mute() to its release): those readH5ad
// was given. Both host adapters route the wasm module's every open() through permits(), so an
// external link, a virtual dataset's source or a dataset whose raw data is stored in another file
// (HDF5's external file list, which can name any path) cannot make it read a file it was not
// handed. Outside trialmix's calls the module is left as it is (a program may use h5wasm itself).
// Refused paths are recorded, for the message of the read that failed.
export class OpenGate {
  private allowed = new Map<string, number>();
  private refused: string[] = [];
  private depth = 0;

  /** Start guarding opens; the returned function stops (calls nest). */
  enter(): () => void {
    this.depth++;
    return () => void this.depth--;
  }

  /** Let HDF5 open `key` (a path as the host names it) until the returned function is called. */
  allow(key: string): () => void {
    this.allowed.set(key, (this.allowed.get(key) ?? 0) + 1);
    return () => {
      const k = (this.allowed.get(key) ?? 1) - 1;
      if (k > 0) this.allowed.set(key, k);
      else this.allowed.delete(key);
    };
  }

  /** May HDF5 open `key` now? A refusal is recorded. `exempt`: the host's own files (the filter plugins, devices). */
  permits(key: string, exempt: boolean): boolean {
    if (this.depth === 0 || exempt || this.allowed.has(key)) return true;
    this.refused.push(key);
    return false;
  }

  /** The paths refused since the last call (and forget them). */
  takeRefused(): string[] {
    return this.refused.splice(0);
  }
}
