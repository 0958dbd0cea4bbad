// Message templates (/v1/templates, `switchboard apply`): per account, versioned — saving
// an id again makes its next version, and every message records the version it used.
import { AppError } from '../domain/errors.ts';
import { placeholders } from '../domain/templates.ts';
import { laneOf } from '../domain/lanes.ts';
import type { RecordStore, TemplateRow } from '../store/store.ts';

export interface TemplateInput { id: string; body: string; variables?: string[]; locale?: string; priority?: string }

export async function saveTemplate(store: RecordStore, accountId: string, input: TemplateInput, now = Date.now()): Promise<TemplateRow> {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(input.id)) throw new AppError('validation_error', 'id must be 1-64 letters, digits or _.-', { field: 'id' });
  if (input.body.length === 0 || [...input.body].length > 1600) throw new AppError('validation_error', 'body must be 1-1600 characters', { field: 'body' });
  if (!input.body.isWellFormed()) throw new AppError('invalid_body', 'body holds a lone UTF-16 surrogate', { field: 'body' });
  const used = placeholders(input.body);
  const declared = input.variables ?? used;
  const undeclared = used.filter((v) => !declared.includes(v));
  const unused = declared.filter((v) => !used.includes(v));
  if (undeclared.length || unused.length) {
    throw new AppError('validation_error', [undeclared.length ? `placeholders not declared in variables: ${undeclared.join(', ')}` : '', unused.length ? `variables not used in the body: ${unused.join(', ')}` : ''].filter(Boolean).join('; '), { field: 'variables' });
  }
  if (input.priority !== undefined) laneOf(input.priority);
  const latest = await store.getTemplate(accountId, input.id);
  const same = latest && latest.body === input.body && latest.variables === JSON.stringify(declared) && latest.locale === (input.locale ?? null) && (latest.priority ?? null) === (input.priority ?? null);
  if (same) return latest; // saving what is already there makes no new version (apply stays idempotent)
  return store.addTemplateVersion({ account_id: accountId, id: input.id, body: input.body, variables: JSON.stringify(declared), locale: input.locale ?? null, priority: input.priority ?? null, created_at: now });
}

export function presentTemplate(t: TemplateRow) {
  return { id: t.id, version: t.version, body: t.body, variables: JSON.parse(t.variables) as string[], locale: t.locale, priority: t.priority ?? null, created_at: new Date(t.created_at).toISOString() };
}
