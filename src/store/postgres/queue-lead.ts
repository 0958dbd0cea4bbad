// One worker hears every insert (issue 26). A NOTIFY reaches every listening process, and each
// worker woken ran a claim cycle for it: a wake, a batch window's timer, a paced claim that the
// claim clock refused for all but one. Measured (api + workers, PostgreSQL, this 2-core
// machine): a worker's CPU per message depends on its own rate, not on how many others there
// are (one worker alone: 174 µs a message at 1,000 msg/s, 336 at 250), so four workers sharing
// 1,000 msg/s each paid what one pays at 250, and their wakes per second doubled.
//
// Terminology:
// - the **lead**: the worker process whose LISTEN connection holds the queue's listener lock (a
//   session advisory lock, per schema, released when that connection ends). It LISTENs on
//   QUEUE_CHANNEL, hears every insert, and takes the queue's work while it can.
// - the **others** LISTEN on the schema's help channel only, and poll (SWITCHBOARD_POLL_MS).
// - a **call for help**: a worker with more due than it takes (its claims have come back full
//   for a batch window) NOTIFYs the help channel, at most once a batch window; the others wake
//   and claim, and keep claiming while their claims come back full. Only a claim calls, never a
//   wake: a call wakes the caller too, and a wake that called again fed on itself.
// A worker without the lock asks for it every LEAD_RETRY_MS: when the lead's process or its
// connection ends, another takes over within seconds (the calls for help and polls meanwhile).
import type pg from 'pg';

/** The schema's queue listener lock (a session advisory lock on the LISTEN connection). */
export const LEAD_LOCK = "hashtext(current_schema() || ' queue listener')";

/** How often a worker that is not the lead asks for the lock. */
export const LEAD_RETRY_MS = 2_000;

/** The help channel of the connection's schema (NOTIFY channels are database-wide; a schema's workers call only their own). */
export const HELP_CHANNEL_SQL = "'switchboard_help_' || md5(current_schema())";

/** The help channel's name, as the connection's schema makes it. */
export async function helpChannel(client: pg.Client): Promise<string> {
  return (await client.query<{ ch: string }>(`SELECT ${HELP_CHANNEL_SQL} AS ch`)).rows[0].ch;
}

/** Takes the lock if no other connection holds it: whether this connection is now the lead. */
export async function takeLead(client: pg.Client): Promise<boolean> {
  return (await client.query<{ got: boolean }>(`SELECT pg_try_advisory_lock(${LEAD_LOCK}) AS got`)).rows[0].got;
}
