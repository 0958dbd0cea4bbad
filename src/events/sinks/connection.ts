// A broker connection made on first use and shared by the publishes after it; a publish
// that fails drops it (closed), so the next one connects again. Events wait in the outbox
// meanwhile: a sink never retries on its own.
export class LazyConnection<T> {
  readonly #open: () => Promise<T>;
  readonly #shut: (c: T) => Promise<unknown>;
  #conn: Promise<T> | null = null;

  /** `open` connects (and cleans up after itself if it fails half-way); `shut` closes what it made. */
  constructor(open: () => Promise<T>, shut: (c: T) => Promise<unknown>) {
    this.#open = open;
    this.#shut = shut;
  }

  get(): Promise<T> {
    if (!this.#conn) {
      const conn = this.#open();
      this.#conn = conn;
      conn.catch(() => { if (this.#conn === conn) this.#conn = null; });
    }
    return this.#conn;
  }

  /** The connection broke (a failed publish, or the broker said so): the next use connects again. */
  async drop(c?: T): Promise<void> {
    this.#conn = null;
    if (c !== undefined) await Promise.resolve().then(() => this.#shut(c)).catch(() => {});
  }

  async close(): Promise<void> {
    const c = this.#conn;
    this.#conn = null;
    if (c) await c.then((x) => this.#shut(x), () => {}).catch(() => {});
  }
}
