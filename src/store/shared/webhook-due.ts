// When an unprocessed raw webhook can next be claimed: the later of its due time and its
// lease's end. Written exactly as migration 016 indexes it (webhooks_due); a query that
// spells it otherwise is not matched to the index.
export const WEBHOOK_DUE = 'CASE WHEN lease_until > process_after THEN lease_until ELSE process_after END';
