// Alert episodes, and failover drills (what each proved). Alerts: one row per rule. Only the call that moves a rule from one state to
// another gets true, so however many workers check, an episode notifies once.
import type { AlertRow, DrillRow } from '../rows.ts';

export interface AlertStore {
  /** Moves an alert rule to `state`; true only for the call that changed it (fires once). */
  setAlertState(rule: string, state: AlertRow['state'], detail: string | null, now: number): Promise<boolean>;
  listAlerts(): Promise<AlertRow[]>;
  recordDrill(row: DrillRow): Promise<void>;
  /** newest first */
  listDrills(limit: number): Promise<DrillRow[]>;
}
