// What a store error means to a caller: the database cannot be reached or written
// (`database_unavailable`: PostgreSQL away, a connection cut mid-query or mid-COMMIT, a
// read-only or unreadable SQLite file) or the disk is full (`storage_full`). Anything else
// is a bug or a constraint, not an outage. Read by every boundary that answers for the
// store (HTTP, readiness, the SMPP server, the workers' retries): the process stays up,
// callers are told to come back, and nothing half-written is reported as done.
export type StoreFailure = 'database_unavailable' | 'storage_full';

/** Node's network errors when a connection cannot be made or is lost. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);

// SQLSTATEs (PostgreSQL appendix A): class 08 connection exception; 57P01–57P03 the server
// shutting down or not accepting connections yet; 53300 too many connections; 25006 a
// read-only transaction (a standby after failover); 53100 disk full.
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300', '25006']);

// pg reports a lost connection by message only.
const LOST = /Connection terminated|connection error|timeout exceeded when trying to connect|Client was closed|not queryable|Connection ended unexpectedly/i;

// SQLite primary result codes (node:sqlite's `errcode`; extended codes keep them in the low byte).
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;

export function storeFailure(err: unknown): StoreFailure | null {
  for (let e = err as Record<string, unknown> | undefined, depth = 0; e && typeof e === 'object' && depth < 6; e = e.cause as Record<string, unknown> | undefined, depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (code === '53100') return 'storage_full';
    if (code.startsWith('08') || PG_UNAVAILABLE.has(code) || NETWORK.has(code)) return 'database_unavailable';
    if (typeof e.errcode === 'number') {
      const primary = e.errcode & 0xff;
      if (primary === SQLITE_FULL) return 'storage_full';
      if (primary === SQLITE_READONLY || primary === SQLITE_IOERR || primary === SQLITE_CANTOPEN) return 'database_unavailable';
    }
    if (typeof e.message === 'string' && LOST.test(e.message)) return 'database_unavailable';
  }
  return null;
}
