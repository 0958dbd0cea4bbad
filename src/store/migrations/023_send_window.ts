import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Quiet hours (domain/send-window.ts): the window and time zones a message keeps to, so
// the worker checks them again when it sends (a backlog may carry it past the window's end).
export const m023: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('messages').addColumn('send_window', 'text').execute();
  },
};
