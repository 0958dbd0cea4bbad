// The rows the store keeps, one interface per table (and the write shapes the ports
// take). All times are epoch milliseconds (numbers); JSON columns hold text.
// One file per area in rows/, mirroring ports/.
export * from './rows/messages.ts';
export * from './rows/records.ts';
export * from './rows/relays-masks.ts';
export * from './rows/operations.ts';
export * from './rows/webhooks-callbacks.ts';
export * from './rows/outbox.ts';
