// A small checker for the OpenAPI subset Twilio's spec uses (type, nullable, enum, $ref
// to a local enum, required): enough to keep the fake and the adapter honest against it.
import { readFileSync } from 'node:fs';

type Schema = { type?: string; nullable?: boolean; enum?: string[]; $ref?: string; properties?: Record<string, Schema>; required?: string[]; pattern?: string; minimum?: number; maximum?: number };

export const twilioSpec = JSON.parse(readFileSync(new URL('../fixtures/twilio/openapi-messages.json', import.meta.url), 'utf8')) as Record<string, Schema> & { path: string };

function resolve(s: Schema): Schema {
  if (!s.$ref) return s;
  const name = s.$ref.split('/').pop()!;
  return twilioSpec[name];
}

/** Problems with `value` against `schema` (empty when it conforms). */
export function check(value: unknown, schema: Schema, path = '$'): string[] {
  const s = resolve(schema);
  if (value === null) return s.nullable || schema.nullable ? [] : [`${path} is null but not nullable`];
  const problems: string[] = [];
  if (s.enum && !s.enum.includes(value as string)) problems.push(`${path}=${JSON.stringify(value)} not in enum`);
  if (s.type === 'object') {
    if (typeof value !== 'object' || Array.isArray(value)) return [`${path} is not an object`];
    for (const r of s.required ?? []) if (!(r in (value as object))) problems.push(`${path}.${r} is required`);
    if (s.properties) {
      for (const [k, v] of Object.entries(value as object)) {
        if (!(k in s.properties)) problems.push(`${path}.${k} is not in the spec`);
        else problems.push(...check(v, s.properties[k], `${path}.${k}`));
      }
    }
  } else if (s.type === 'string' && typeof value !== 'string') problems.push(`${path} should be a string, is ${typeof value}`);
  else if (s.type === 'integer' && !Number.isInteger(value)) problems.push(`${path} should be an integer`);
  else if (s.type === 'boolean' && typeof value !== 'boolean') problems.push(`${path} should be a boolean`);
  if (s.pattern && typeof value === 'string' && !new RegExp(s.pattern).test(value)) problems.push(`${path} does not match ${s.pattern}`);
  return problems;
}

/** A form-encoded request checked against an object schema whose fields are strings on the wire. */
export function checkForm(form: URLSearchParams, schema: Schema): string[] {
  const problems: string[] = [];
  for (const r of schema.required ?? []) if (!form.has(r)) problems.push(`${r} is required`);
  for (const [k, v] of form) {
    const p = schema.properties?.[k];
    if (!p) { problems.push(`${k} is not a parameter of the spec`); continue; }
    if (p.type === 'integer' && !/^-?\d+$/.test(v)) problems.push(`${k}=${v} should be an integer`);
    if (p.type === 'integer' && ((p.minimum !== undefined && Number(v) < p.minimum) || (p.maximum !== undefined && Number(v) > p.maximum))) problems.push(`${k}=${v} out of range`);
  }
  return problems;
}
