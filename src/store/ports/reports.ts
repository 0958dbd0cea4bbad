// Report rollups: per-minute and per-hour counts of final (and accepted) messages, so that
// reports and the dashboard read what a range holds in minutes or hours, not in messages.
// A span is rolled up once (a minute from the ledger, an hour from its minutes) after it
// has settled (services/reports.ts says when); its rows are then what reports read for it.
import type { ReportRollupRow, RollupSpan } from '../rows.ts';

export interface ReportRollups {
  /** The starts of the `span`s in [from, to) whose rollup is stored, ascending. */
  rolledUp(span: RollupSpan, from: number, to: number): Promise<number[]>;
  /** The rollup rows of the `span`s starting in [from, to): every account's, or one's. */
  rollups(span: RollupSpan, from: number, to: number, accountId?: string): Promise<ReportRollupRow[]>;
  /**
   * Stores the rollup of the `span`s starting at `starts`: `rows` for those that had
   * messages (one without rows is stored as empty). One already stored is left as it is,
   * so two processes rolling up the same span store it once.
   */
  saveRollups(span: RollupSpan, starts: number[], rows: ReportRollupRow[], now: number): Promise<void>;
  /** Retention: deletes the rollups of spans that start before `before`; answers how many spans. */
  purgeRollups(before: number): Promise<number>;
}
