// Regenerates the TypeScript client's types from the API as it is: starts Switchboard on a
// temporary embedded database, writes its OpenAPI document to clients/typescript/openapi.json,
// and runs openapi-typescript on it (clients/typescript/src/schema.ts). openapi-typescript
// needs TypeScript 5 while this project checks with TypeScript 7, so it runs through npx
// instead of being a dependency. test/client.test.ts fails while openapi.json differs
// from the running API's document, so the client cannot drift.
//   npm run client:generate
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'switchboard-openapi-'));
const app = await createApp(loadConfig({}, { port: 0, dataDir: dir, logLevel: 'silent', simulator: 'on' }), { logger: createLogger('silent') });
await app.start();
try {
  const doc = await (await fetch(`${app.url}/docs/json`)).json();
  writeFileSync(join(root, 'clients/typescript/openapi.json'), `${JSON.stringify(doc, null, 2)}\n`);
} finally {
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
}
execFileSync('npx', ['-y', '-p', 'openapi-typescript@7', '-p', 'typescript@5', 'openapi-typescript', 'clients/typescript/openapi.json', '-o', 'clients/typescript/src/schema.ts'], { cwd: root, stdio: 'inherit' });
console.log('clients/typescript: openapi.json and src/schema.ts regenerated');
