// switchboard send --csv as an operator runs it, against a running server: a 10,000-row
// file interrupted halfway (the process killed) and run again ends with 10,000 messages,
// none twice, the progress and a summary printed; a dry run sends nothing; a bad row is
// named by its line.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_KEY, startApp, type TestApp } from '../helpers/app.ts';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../src/cli/main.ts');

describe('switchboard send --csv', () => {
  let t: TestApp;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    t = await startApp();
    assert.equal((await t.call('POST', '/v1/templates', { id: 'shift_reminder', body: 'Hi {name}, your shift starts at {time}' })).status, 201);
    env = { PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE, SWITCHBOARD_KEY: ADMIN_KEY, SWITCHBOARD_DATA_DIR: t.dataDir };
  });
  after(async () => { await t.stop(); });

  const total = async () => {
    let n = 0;
    for (const b of (await t.call('GET', '/v1/batches?limit=200')).body.data as { id: string }[]) n += Object.values(await t.app.ctx.store.batchCounts(b.id)).reduce((a, c) => a + c, 0);
    return n;
  };

  it('checks a file in a dry run, naming a bad row by its line, sending nothing', async () => {
    const file = join(t.dataDir, 'bad.csv');
    writeFileSync(file, 'to,name,time\n+14155550100,Ana,07:00\nnot-a-number,Ben,08:00\n');
    await assert.rejects(run(process.execPath, [CLI, 'send', '--csv', file, '--template', 'shift_reminder', '--dry-run', '--url', t.url], { env }),
      (e: { code: number; stderr: string }) => e.code === 1 && /line 3: invalid_phone_number/.test(e.stderr));
    writeFileSync(file, 'to,name,time\n+14155550100,Ana,07:00\n');
    assert.match((await run(process.execPath, [CLI, 'send', '--csv', file, '--template', 'shift_reminder', '--dry-run', '--url', t.url], { env })).stdout, /1 rows valid \(dry run: nothing sent\)/);
    assert.equal(await total(), 0);
  });

  it('sends 10,000 rows once, even when interrupted halfway and run again', async () => {
    const file = join(t.dataDir, 'roster.csv');
    const lines = ['to,name,time,metadata.employee'];
    for (let i = 0; i < 10_000; i++) lines.push(`+1415${String(6_000_000 + i).padStart(7, '0')},P${i},0${i % 10}:00,e${i}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const args = [CLI, 'send', '--csv', file, '--template', 'shift_reminder', '--url', t.url];
    // The first run is killed once half the file is accepted.
    const first = spawn(process.execPath, args, { env });
    let err = '';
    await new Promise<void>((resolve) => {
      first.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (/accepted rows 5001–6000/.test(err)) first.kill('SIGKILL');
      });
      first.on('exit', () => resolve());
    });
    assert.match(err, /accepted rows 1–1000 of 10000/);
    const partial = await total();
    assert.ok(partial >= 5_000 && partial < 10_000, `${partial} accepted before the interruption`);
    const second = await run(process.execPath, args, { env, maxBuffer: 16 * 1024 * 1024 });
    assert.match(second.stderr, /\] \d+\/10000 done · \d+ sent · 0 failed/, 'the progress line');
    assert.match(second.stdout, /10000 rows: \d+ delivered, \d+ sent \(no receipt yet\), 0 failed, 0 refused/);
    assert.equal(await total(), 10_000, 'none twice');
    const [one] = (await t.call('GET', '/v1/messages?to=%2B14156000007')).body.data;
    assert.deepEqual([one.body, one.metadata.employee], ['Hi P7, your shift starts at 07:00', 'e7']);
    assert.equal((await t.call('GET', '/v1/messages?to=%2B14156000007')).body.data.length, 1);
  });
});
