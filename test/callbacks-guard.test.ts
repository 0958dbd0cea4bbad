// The callback guard decides at connect time too: the addresses a callback connects to
// are the ones it checked.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CallbackGuard } from '../src/callbacks/ssrf.ts';

const resolveWith = (g: CallbackGuard, host: string) => new Promise<{ err: Error | null; addresses: unknown }>((resolve) => {
  g.connectLookup(host, { all: true }, (err, addresses) => resolve({ err, addresses }));
});

describe('callback guard', () => {
  it('refuses private and loopback targets unless allow-listed', async () => {
    const strict = new CallbackGuard([]);
    const refused = await strict.refusal('http://localhost/x');
    assert.match(refused?.reason ?? '', /private address/);
    assert.equal(refused?.transient, false, 'a private target is refused for good');
    assert.throws(() => strict.checkAtIntake('http://192.168.1.10/x'), /private address/);
    assert.throws(() => strict.checkAtIntake('http://[::1]/x'), /private address/);
    assert.doesNotThrow(() => strict.checkAtIntake('https://93.184.215.14/hook'));
    assert.doesNotThrow(() => strict.checkAtIntake('https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook'));
    assert.throws(() => strict.checkAtIntake('http://[::ffff:10.0.0.1]/x'), /private address/);
    assert.throws(() => strict.checkAtIntake('http://169.254.169.254/latest/meta-data'), /private address/);
    const open = new CallbackGuard(['127.0.0.0/8', '::1', 'internal.example']);
    assert.equal(await open.refusal('http://localhost/x'), null);
    assert.doesNotThrow(() => open.checkAtIntake('http://127.0.0.1:8080/x'));
    assert.equal(await open.refusal('http://internal.example/x'), null);
  });

  it('treats a host name that does not resolve as a passing failure, to be retried', async () => {
    const r = await new CallbackGuard([]).refusal('https://no-such-host.invalid/hook');
    assert.match(r?.reason ?? '', /cannot resolve no-such-host\.invalid/);
    assert.equal(r?.transient, true);
  });

  it('applies the same rule to the lookup the connection uses', async () => {
    const strict = await resolveWith(new CallbackGuard([]), 'localhost');
    assert.match(strict.err?.message ?? '', /private address/);
    const open = await resolveWith(new CallbackGuard(['127.0.0.1', '::1']), 'localhost');
    assert.equal(open.err, null);
    assert.ok(Array.isArray(open.addresses) && open.addresses.length > 0);
  });
});
