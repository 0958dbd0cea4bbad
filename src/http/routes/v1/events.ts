// GET /v1/events: the event feed, for consumers without a broker. The outbox's events as
// CloudEvents (events/cloud-event.ts), oldest first by feed position, after a cursor:
// the account's own, or, for an operator, every account's (or the one named). Unlike
// the newest-first lists, next_cursor is never null: it is where to read on from, and
// `?wait=` holds an empty answer until an event comes (long-poll). Kept as long as the
// outbox keeps events (SWITCHBOARD_EVENT_RETENTION_HOURS).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { DEFAULT_LIMIT, pageQuery } from '../../paging.ts';
import { AppError } from '../../../domain/errors.ts';
import { EVENT_TYPES } from '../../../public/events.ts';
import { toCloudEvent, TYPE_PREFIX } from '../../../events/cloud-event.ts';
import type { EventOutbox, OutboxEvent, OutboxQuery } from '../../../store/store.ts';
import { storeFailure } from '../../../store/failures.ts';
import { FEED_READ_MARK } from '../../../store/ports/outbox.ts';

const KNOWN: ReadonlySet<string> = new Set(EVENT_TYPES);
const MAX_WAIT_SECONDS = 30;

interface Query { after?: string; cursor?: string; types?: string; limit?: number; wait?: number; account_id?: string }

export async function eventRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const regions = ctx.store.regions;
  const outboxes = regions ? [regions.home, ...regions.all.map((r) => r.store)] : null;
  // The feed is being read: the publisher gives positions meanwhile (store/ports/outbox.ts). Marked at most every 30 s.
  let markedAt = 0;
  const mark = async (now: number) => {
    if (ctx.store.positionsAtCommit || now - markedAt < 30_000) return;
    markedAt = now;
    await Promise.all((outboxes ?? [ctx.store]).map((o) => o.setOutboxCursor(FEED_READ_MARK, now, now).catch((err) => { if (!storeFailure(err)) throw err; })));
  };
  app.get<{ Querystring: Query }>('/v1/events', {
    config: { scope: 'read' },
    schema: {
      tags: ['events'], summary: 'The event feed: CloudEvents after a cursor, oldest first; ?wait= long-polls',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          ...pageQuery,
          after: { type: 'string', maxLength: 600, description: 'a next_cursor (or an event\'s sequence; with regions, one per outbox, dot-separated); omitted = from the oldest kept' },
          types: { type: 'string', maxLength: 1000, description: 'comma-separated event types, with or without the switchboard. prefix' },
          wait: { type: 'integer', minimum: 0, maximum: MAX_WAIT_SECONDS, description: 'seconds to hold an empty answer until an event comes' },
          account_id: { type: 'string', description: 'operators: one account\'s events (every account\'s when omitted)' },
        },
      },
    },
  }, async (req) => {
    const p = req.principal;
    if (req.query.account_id !== undefined && req.query.account_id !== p.accountId && !p.operator) {
      throw new AppError('forbidden', 'only an operator key may read another account\'s events', { field: 'account_id' });
    }
    const q: Omit<OutboxQuery, 'after'> = {
      limit: req.query.limit ?? DEFAULT_LIMIT,
      accountId: req.query.account_id ?? (p.operator ? undefined : p.accountId),
      types: eventTypes(req.query.types),
    };
    const cursor = req.query.after ?? req.query.cursor;
    const read = outboxes ? () => readMerged(outboxes, positions(cursor, outboxes.length), q) : async () => {
      const after = position(cursor);
      const events = await ctx.store.readEvents({ ...q, after });
      return { events, next: String(events.at(-1)?.pos ?? after) };
    };
    await mark(Date.now());
    const deadline = Date.now() + (req.query.wait ?? 0) * 1000;
    let page = await read();
    while (page.events.length === 0 && Date.now() < deadline && !ctx.lifecycle.draining) {
      const ms = Math.min(250, deadline - Date.now());
      await (ctx.events?.sequenced(ms) ?? new Promise((r) => setTimeout(r, ms)));
      page = await read();
    }
    return { data: page.events.map((e) => toCloudEvent(e, ctx.config.publicUrl)), next_cursor: page.next };
  });
}

/**
 * With regions (store/regional/) each store has an outbox of its own, positioned on its
 * own: the cursor is then each outbox's position, dot-separated (home first, then the
 * regions in SWITCHBOARD_REGIONS order), and a page is the oldest events of all of them.
 * An outbox whose region is away is read once it answers again, from where it was.
 */
export async function readMerged(outboxes: EventOutbox[], after: number[], q: Omit<OutboxQuery, 'after'>): Promise<{ events: OutboxEvent[]; next: string }> {
  const got = await Promise.all(outboxes.map((o, i) => o.readEvents({ ...q, after: after[i] }).catch((err) => {
    if (storeFailure(err)) return [];
    throw err;
  })));
  // Merged by time, each outbox's events kept in their order (a prefix of each is taken,
  // so its position in the cursor skips none).
  const at = got.map(() => 0);
  const next = [...after];
  const events: OutboxEvent[] = [];
  while (events.length < q.limit) {
    let pick = -1;
    got.forEach((list, i) => { if (at[i] < list.length && (pick < 0 || list[at[i]].time < got[pick][at[pick]].time)) pick = i; });
    if (pick < 0) break;
    const e = got[pick][at[pick]++];
    events.push(e);
    next[pick] = e.pos;
  }
  return { events, next: next.join('.') };
}

function positions(cursor: string | undefined, n: number): number[] {
  if (cursor === undefined) return new Array(n).fill(0);
  const parts = cursor.split('.');
  if (parts.length !== n || !parts.every((x) => /^\d{1,15}$/.test(x))) throw new AppError('invalid_cursor', `after is a next_cursor from this feed (${n} whole numbers, dot-separated: one per outbox)`, { field: 'after' });
  return parts.map(Number);
}

function position(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  if (!/^\d{1,15}$/.test(cursor)) throw new AppError('invalid_cursor', 'after is a next_cursor from this feed (a whole number)', { field: 'after' });
  return Number(cursor);
}

function eventTypes(list: string | undefined): string[] | undefined {
  if (list === undefined) return undefined;
  const types = list.split(',').map((t) => t.trim()).filter(Boolean).map((t) => (t.startsWith(TYPE_PREFIX) ? t.slice(TYPE_PREFIX.length) : t));
  const unknown = types.filter((t) => !KNOWN.has(t));
  if (unknown.length > 0) throw new AppError('validation_error', `unknown event type ${unknown.join(', ')}; known: ${EVENT_TYPES.join(', ')}`, { field: 'types' });
  return types;
}
