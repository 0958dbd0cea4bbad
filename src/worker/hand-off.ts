// Intake's hand-off to this process's worker (see Worker.reserve): the leases promised
// to intake and not yet adopted (the message stored) or released (it was not). Each
// takes a send slot until it ends, and a stopping worker waits for them all to end.
export class HandOffs {
  #open = 0;
  #allEnded: (() => void) | null = null;

  /** leases promised and not yet ended */
  get open(): number { return this.#open; }

  promise(): void { this.#open++; }

  /** a promised lease ended: adopted or released */
  ended(): void {
    this.#open--;
    if (this.#open === 0) this.#allEnded?.();
  }

  /** resolves once every promised lease has ended (at once when none is open) */
  allEnded(): Promise<void> {
    if (this.#open === 0) return Promise.resolve();
    return new Promise<void>((r) => { this.#allEnded = r; });
  }
}
