// Report rollups: per-minute counts of final (and accepted) messages, so that reports and
// the dashboard read what a range holds in minutes, not in messages. A minute is rolled
// up once, from the ledger, after it has settled (services/reports.ts says when); its
// rows are then what reports read for it.
import type { ReportMinuteRow } from '../rows.ts';

export interface ReportRollups {
  /** The minutes in [from, to) whose rollup is stored, ascending. */
  rolledUpMinutes(from: number, to: number): Promise<number[]>;
  /** The rollup rows of the minutes in [from, to): every account's, or one's. */
  reportMinutes(from: number, to: number, accountId?: string): Promise<ReportMinuteRow[]>;
  /**
   * Stores the rollup of `minutes`: `rows` for those of them that had messages (a minute
   * without rows is stored as empty). A minute already stored is left as it is, so two
   * processes rolling up the same minute store it once.
   */
  saveReportMinutes(minutes: number[], rows: ReportMinuteRow[], now: number): Promise<void>;
  /** Retention: deletes the rollups of minutes before `before`; answers how many minutes. */
  purgeReportMinutes(before: number): Promise<number>;
}
