/**
 * The memory tier in front of the disk cache: the most recently used entries, bounded in bytes
 * (each entry's `footprint`: its body and its printed output). A Map keeps insertion order, so
 * re-inserting on every hit makes its first key the least recent.
 */

export class MemoryTier<V extends { footprint: number }> {
  private readonly entries = new Map<string, V>();
  private bytes = 0;

  constructor(private readonly capBytes: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    if (value.footprint > this.capBytes / 4) return; // one huge result must not flush every hot tile
    this.delete(key);
    this.entries.set(key, value);
    this.bytes += value.footprint;
    for (const [oldest, old] of this.entries) {
      if (this.bytes <= this.capBytes) break;
      this.entries.delete(oldest);
      this.bytes -= old.footprint;
    }
  }

  delete(key: string): void {
    const value = this.entries.get(key);
    if (value === undefined) return;
    this.entries.delete(key);
    this.bytes -= value.footprint;
  }

  /** Drops every entry the predicate selects. */
  deleteWhere(predicate: (value: V) => boolean): void {
    for (const [key, value] of this.entries) if (predicate(value)) this.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }
}
