// Accepted messages on their way into the ledger, group-committed (store/group-commit.ts):
// one batch per region where the store has regions (domain/regions.ts), so a region that
// is away refuses only its own messages, and each new message's id carries its region —
// the account's pinned region, else its recipient's.
import { GroupCommit, PartitionedCommit } from '../store/group-commit.ts';
import { newId } from '../domain/ids.ts';
import { tagId } from '../domain/regions.ts';
import type { InsertResult, MessageLedger, NewMessage, Store } from '../store/store.ts';

export class InsertBatches {
  readonly #regions: Store['regions'];
  readonly #batches: PartitionedCommit<NewMessage, InsertResult>;

  constructor(store: Pick<MessageLedger, 'insertMessages'> & Pick<Store, 'regions'>, inFlight?: number) {
    this.#regions = store.regions;
    this.#batches = new PartitionedCommit(this.#regions?.all.length ?? 1, () => new GroupCommit((items: NewMessage[]) => store.insertMessages(items), 500, inFlight));
  }

  /** A new message's id: tagged with its region (`pinned`: the account's, else the recipient's country's). */
  messageId(pinned: string | null | undefined, to: string): string {
    const regions = this.#regions;
    if (!regions) return newId('msg');
    const pin = regions.all.find((r) => r.name === pinned);
    return pin ? tagId(newId('msg'), pin.index) : regions.idFor('msg', to);
  }

  /** Whether this process's workers work on the message's region (so intake may hand it to one). */
  worksOn(id: string): boolean {
    const regions = this.#regions;
    return !regions || regions.working.includes(regions.ofId(id));
  }

  submit(m: NewMessage): Promise<InsertResult> {
    return this.#batches.submit(this.#regions ? this.#regions.ofId(m.row.id).index : 0, m);
  }

  drain(): Promise<void> { return this.#batches.drain(); }
}
