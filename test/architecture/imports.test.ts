// The layers stay layered: no import cycle (type imports included), and no lower layer
// importing a higher one. Read from the source, so a new file is checked without a new test.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '../../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every file → the project files it imports (value and type imports alike). */
export function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files(SRC)) {
    const text = readFileSync(f, 'utf8');
    const deps = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|import\('(\.[^']+)'\)/g)]
      .map((m) => relative(SRC, resolve(dirname(f), m[1] ?? m[2])));
    graph.set(relative(SRC, f), deps);
  }
  return graph;
}

/** The layer of a file: its top folder (or file) under src/. Lower numbers sit lower. */
const LAYERS: [RegExp, number][] = [
  [/^domain\//, 0], [/^config\.ts$/, 0], [/^log\.ts$/, 0], [/^loop\//, 0],
  [/^store\//, 1], [/^events\//, 1],
  [/^providers\//, 2], [/^public\//, 2], [/^callbacks\//, 2], [/^receipts\//, 2], [/^auth\//, 2],
  [/^routing\//, 3], [/^intake\//, 3], [/^metrics\.ts$/, 3], [/^sandbox\//, 3],
  [/^(webhooks|optout|relay|masking|worker)\//, 4],
  [/^services\//, 5],
  [/^http\//, 6], [/^smpp-server\//, 6],
  [/^app\.ts$/, 7], [/^cli\//, 8], [/^main\.ts$/, 8],
];

function layer(file: string): number {
  const hit = LAYERS.find(([re]) => re.test(file));
  assert.ok(hit, `${file} belongs to no layer: add it to LAYERS`);
  return hit[1];
}

describe('architecture', () => {
  const graph = importGraph();

  it('has no import cycle, type imports included', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') { cycles.push([...path.slice(path.indexOf(f)), f].join(' → ')); return; }
      state.set(f, 'open');
      for (const d of graph.get(f) ?? []) visit(d, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of graph.keys()) visit(f, []);
    assert.deepEqual(cycles, []);
  });

  it('names no provider kind outside its own folder', () => {
    const kinds = ['simulator', 'twilio', 'vonage', 'sinch', 'aws', 'smpp'];
    const found: string[] = [];
    for (const f of graph.keys()) {
      const text = readFileSync(join(SRC, f), 'utf8');
      for (const k of kinds) if (!f.startsWith(`providers/${k}/`) && new RegExp(`kind\\s*={2,3}\\s*'${k}'`).test(text)) found.push(`${f}: ${k}`);
    }
    assert.deepEqual(found, []);
  });

  it('no layer imports a layer above it', () => {
    const upward: string[] = [];
    for (const [f, deps] of graph) for (const d of deps) if (layer(d) > layer(f)) upward.push(`${f} → ${d}`);
    assert.deepEqual(upward, []);
  });

  it('keeps every source file to 300 lines, so each part stays readable on its own', () => {
    const long = [...graph.keys()].map((f) => [f, readFileSync(join(SRC, f), 'utf8').split('\n').length] as const).filter(([, n]) => n > 300);
    assert.deepEqual(long, []);
  });
});
