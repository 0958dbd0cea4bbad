import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TEMPLATE, hopsOf, renderTemplate, templateProblem } from '../../src/relay/template.ts';

describe('relay templates', () => {
  it('shows the original sender by default', () => {
    assert.equal(renderTemplate(DEFAULT_TEMPLATE, { from: '+14155550100', to: '+14155550199', body: 'is the van free?' }), 'From +14155550100: is the van free?');
    assert.equal(renderTemplate('{to} got "{body}" from {from}', { from: 'a', to: 'b', body: '$1 {from}' }), 'b got "$1 {from}" from a');
  });

  it('counts how many relays a body already went through, through forwarders\' own prefixes', () => {
    const once = renderTemplate(DEFAULT_TEMPLATE, { from: '+14155550100', to: '', body: 'hello' });
    const twice = renderTemplate(DEFAULT_TEMPLATE, { from: '+18585550100', to: '', body: `Fwd: ${once}` });
    assert.equal(hopsOf('hello', [DEFAULT_TEMPLATE], 5), 0);
    assert.equal(hopsOf('From me: nothing relayed? well', [DEFAULT_TEMPLATE], 5), 1, 'text that looks relayed counts; a false positive only shortens the chain');
    assert.equal(hopsOf(once, [DEFAULT_TEMPLATE], 5), 1);
    assert.equal(hopsOf(twice, [DEFAULT_TEMPLATE], 5), 2);
    assert.equal(hopsOf(twice, [DEFAULT_TEMPLATE], 1), 1, 'stops counting at the limit');
    assert.equal(hopsOf('[+1] hi', ['[{from}] {body}', DEFAULT_TEMPLATE], 5), 1, 'any rule\'s template');
    assert.equal(hopsOf('anything', ['{body}'], 5), 0, 'a bare template leaves no trace');
  });

  it('refuses a template without the body', () => {
    assert.match(templateProblem('From {from}') ?? '', /\{body\}/);
    assert.equal(templateProblem(DEFAULT_TEMPLATE), null);
  });
});
