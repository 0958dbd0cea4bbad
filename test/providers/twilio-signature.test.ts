import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { twilioSignature, verifyTwilioSignature } from '../../src/providers/twilio/signature.ts';

// Verified vector (domain.md §2.3, from twilio-python's own tests).
const URL_ = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const PARAMS = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };
const EXPECTED = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';

describe('X-Twilio-Signature', () => {
  it('matches Twilio\'s published vector', () => {
    assert.equal(twilioSignature('12345', URL_, PARAMS), EXPECTED);
  });
  it('verifies a form POST, with or without the port in the URL', () => {
    const body = new URLSearchParams(PARAMS).toString();
    assert.equal(verifyTwilioSignature('12345', URL_, body, 'application/x-www-form-urlencoded', EXPECTED), true);
    assert.equal(verifyTwilioSignature('12345', 'https://mycompany.com:443/myapp.php?foo=1&bar=2', body, 'application/x-www-form-urlencoded', EXPECTED), true);
  });
  it('rejects a wrong token, a changed parameter, an added parameter and a missing signature', () => {
    const body = new URLSearchParams(PARAMS).toString();
    assert.equal(verifyTwilioSignature('54321', URL_, body, 'application/x-www-form-urlencoded', EXPECTED), false);
    assert.equal(verifyTwilioSignature('12345', URL_, body.replace('1234&', '9999&'), 'application/x-www-form-urlencoded', EXPECTED), false);
    assert.equal(verifyTwilioSignature('12345', URL_, `${body}&Extra=1`, 'application/x-www-form-urlencoded', EXPECTED), false);
    assert.equal(verifyTwilioSignature('12345', URL_, body, 'application/x-www-form-urlencoded', undefined), false);
  });
  it('signs every value of a repeated parameter, sorted', () => {
    const p = new URLSearchParams([['MediaUrl', 'b'], ['MediaUrl', 'a'], ['Body', 'x']]);
    assert.equal(twilioSignature('t', 'https://x.test/', p), twilioSignature('t', 'https://x.test/', new URLSearchParams([['Body', 'x'], ['MediaUrl', 'a'], ['MediaUrl', 'b']])));
  });
  it('checks JSON bodies by bodySHA256 and the URL', () => {
    const body = '{"a":1}';
    const url = `https://x.test/hook?bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
    const sig = twilioSignature('t', url);
    assert.equal(verifyTwilioSignature('t', url, body, 'application/json', sig), true);
    assert.equal(verifyTwilioSignature('t', url, '{"a":2}', 'application/json', sig), false);
  });
});
