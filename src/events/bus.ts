// In-process notifications of status changes. Whoever moves a message (worker outcome,
// receipt, cancel) publishes here; metrics, ?wait= waiters and callbacks listen. Other
// processes learn of changes through the store (waiters poll it as a safety net).
import { EventEmitter } from 'node:events';
import type { MessageStatus } from '../domain/status.ts';
import type { MessageRow } from '../store/store.ts';

export interface StatusChange { message: MessageRow; previous: MessageStatus | null }

export class MessageBus {
  readonly #emitter = new EventEmitter();
  constructor() { this.#emitter.setMaxListeners(0); }
  publish(change: StatusChange): void { this.#emitter.emit('status', change); }
  onStatus(fn: (c: StatusChange) => void): () => void {
    this.#emitter.on('status', fn);
    return () => this.#emitter.off('status', fn);
  }
}
