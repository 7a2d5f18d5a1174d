/**
 * One owner for what a part of the app starts (workers, watchers, servers, database handles,
 * timers). Each is registered as soon as it exists; `close` closes them in reverse order, each
 * once, carries on past one that fails, and then throws the first failure. A start that fails half
 * way closes the owner, so whatever had started is closed too.
 */

interface Owned {
  name: string;
  close: () => unknown;
}

export class ResourceOwner {
  private readonly owned: Owned[] = [];
  private closing: Promise<void> | null = null;

  /** Registers `value`, closed by `close` when the owner closes; returns `value`. */
  own<T>(name: string, value: T, close: (value: T) => unknown): T {
    this.defer(name, () => close(value));
    return value;
  }

  /** Registers a step run when the owner closes (a flag to set, a file to remove). */
  defer(name: string, close: () => unknown): void {
    if (this.closing) throw new Error(`cannot take ${name}: its owner is closed`);
    this.owned.push({ name, close });
  }

  get closed(): boolean {
    return this.closing !== null;
  }

  /** Closes everything, newest first; the same promise for every call. */
  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    let failure: Error | null = null;
    for (const { name, close } of this.owned.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        failure ??= new Error(`closing ${name} failed: ${(error as Error).message}`, { cause: error });
      }
    }
    if (failure) throw failure;
  }
}
