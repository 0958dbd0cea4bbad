// A loopback AWS End User Messaging SMS endpoint and SNS topic, speaking the documented
// wire protocols (domain.md §4.2): SendTextMessage as AWS JSON 1.0 (POST /, X-Amz-Target
// PinpointSMSVoiceV2.SendTextMessage, a SigV4 Authorization header recomputed here with
// the secret key, by AWS's documented steps (docs.aws.amazon.com/IAM/latest/UserGuide/
// create-signed-request.html: canonical request, string to sign, derived signing key),
// not by the SDK's signer, so a signing bug shows; errors as {"__type", "message",
// "Reason"} with X-Amzn-ErrorType), and delivery events published to an SNS HTTPS
// subscription: SNS envelopes signed with SignatureVersion 2 (RSA-SHA256 over the
// documented fields) under a SigningCertURL on an sns.<region>.amazonaws.com host. The
// test trusts the fake's certificate for that URL (SnsVerifier.trust) and routes the
// subscription confirmation to the fake (the tests' only stand-in for AWS's DNS).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect as netConnect } from 'node:net';
import { generateKeyPairSync, randomBytes, randomUUID, createSign, createHash, createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { LoopbackFake } from './loopback.ts';
import type { InboundText, SandboxMessage } from './control.ts';
import { Agent } from 'undici';

export const FAKE_AWS_KEY_ID = 'AKIAFAKE00000000TEST';
export const FAKE_AWS_SECRET = 'fake-aws-secret-access-key-for-tests';
export const FAKE_AWS_REGION = 'us-east-1';
export const FAKE_TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:switchboard-sms-events';

export type AwsBehaviour = { kind: 'error'; status: number; type: string; message?: string; reason?: string } | { kind: 'hang' };

export interface EventPlan { events: string[]; delayMs: number; lost?: boolean }

export class AwsFake extends LoopbackFake {
  readonly requests: { target: string | undefined; authorization: string | undefined; body: Record<string, unknown>; messageId: string | null; at: number }[] = [];
  readonly behaviours: AwsBehaviour[] = [];
  readonly confirmations: string[] = [];
  readonly published: { url: string; status: number; type: string; messageId?: string }[] = [];
  plan: EventPlan = { events: ['TEXT_SENT', 'TEXT_DELIVERED'], delayMs: 5 };
  /** where the SNS subscription delivers (our /webhooks/<id>/status) */
  subscriptionUrl = '';
  readonly certUrl = `https://sns.${FAKE_AWS_REGION}.amazonaws.com/SimpleNotificationService-${randomBytes(16).toString('hex')}.pem`;
  readonly #key: KeyObject;
  /** the signing certificate's public key, PEM (what SigningCertURL serves) */
  readonly publicKeyPem: string;

  constructor() {
    super();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.#key = privateKey;
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }



  /** A dispatcher that carries requests for SNS hosts to this fake over loopback. */
  dispatcher(): Agent {
    const port = (this.server.address() as AddressInfo).port;
    return new Agent({ connect: (_opts, cb) => { const s = netConnect(port, '127.0.0.1'); s.once('connect', () => cb(null, s)); s.once('error', (e) => cb(e, null)); } });
  }

  /** An SNS envelope, signed as SNS signs it (SignatureVersion 2). */
  envelope(type: 'Notification' | 'SubscriptionConfirmation', message: string, extra: Record<string, string> = {}): Record<string, string> {
    const m: Record<string, string> = {
      Type: type, MessageId: randomUUID(), TopicArn: FAKE_TOPIC_ARN, Message: message, Timestamp: new Date().toISOString(),
      SignatureVersion: '2', SigningCertURL: this.certUrl, ...extra,
    };
    const keys = type === 'Notification' ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
    const signer = createSign('RSA-SHA256');
    for (const k of keys) if (k in m) signer.update(`${k}\n${m[k]}\n`);
    m.Signature = signer.sign(this.#key, 'base64');
    return m;
  }

  /** A delivery event for a message, in its SNS envelope. */
  event(messageId: string, eventType: string): { headers: Record<string, string>; body: string } {
    const e = { eventType, eventVersion: '1.0', eventTimestamp: Date.now(), isFinal: !['TEXT_SENT', 'TEXT_QUEUED', 'TEXT_PENDING', 'TEXT_SUCCESSFUL'].includes(eventType), messageId, messageStatus: eventType.replace('TEXT_', ''), messageStatusDescription: `simulated ${eventType}`, totalMessageParts: 1 };
    return { headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification', 'x-amz-sns-topic-arn': FAKE_TOPIC_ARN }, body: JSON.stringify(this.envelope('Notification', JSON.stringify(e))) };
  }

  /** Posts a subscription confirmation to `url`, as SNS does when the subscription is made. */
  async subscribe(url: string): Promise<Response> {
    const token = randomBytes(32).toString('hex');
    const subscribeUrl = `https://sns.${FAKE_AWS_REGION}.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(FAKE_TOPIC_ARN)}&Token=${token}`;
    const body = this.envelope('SubscriptionConfirmation', `You have chosen to subscribe to the topic ${FAKE_TOPIC_ARN}.`, { Token: token, SubscribeURL: subscribeUrl });
    return fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'SubscriptionConfirmation' }, body: JSON.stringify(body) });
  }

  #json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', ...headers });
    res.end(JSON.stringify(body));
  }

  /** The events the script gives a message accepted now (TEXT_CARRIER_UNREACHABLE when undelivered). */
  #scripted(): EventPlan | null {
    if (!this.script) return null;
    const outcome = this.script.receipt();
    return { events: ['TEXT_SENT', outcome === 'undelivered' ? 'TEXT_CARRIER_UNREACHABLE' : 'TEXT_DELIVERED'], delayMs: this.script.receiptDelayMs(this.plan.delayMs), lost: outcome === 'lost' };
  }

  sent(): SandboxMessage[] {
    return this.requests.filter((r) => r.messageId).map((r) => ({
      id: r.messageId!, to: String(r.body.DestinationPhoneNumber), from: String(r.body.OriginationIdentity), body: String(r.body.MessageBody),
      status: this.published.filter((p) => p.messageId === r.messageId).at(-1)?.type ?? 'ACCEPTED', at: new Date(r.at).toISOString(),
    }));
  }

  /** An inbound text as AWS publishes two-way SMS to the topic: in a signed SNS envelope. */
  protected async deliverInbound(url: string, p: InboundText): Promise<{ status: number }> {
    const message = { originationNumber: p.from, destinationNumber: p.to, messageKeyword: p.text.split(/\s/)[0].toUpperCase(), messageBody: p.text, inboundMessageId: randomUUID(), previousPublishedMessageId: '' };
    const body = JSON.stringify(this.envelope('Notification', JSON.stringify(message)));
    return fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification', 'x-amz-sns-topic-arn': FAKE_TOPIC_ARN }, body });
  }

  reset(): void { this.requests.length = 0; this.published.length = 0; }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await this.body(req);
    if (req.method === 'GET' && req.url?.startsWith('/?Action=ConfirmSubscription')) {
      this.confirmations.push(req.url);
      res.writeHead(200, { 'content-type': 'text/xml' }).end('<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>arn:aws:sns:sub</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>');
      return;
    }
    const target = req.headers['x-amz-target'] as string | undefined;
    const body = raw ? JSON.parse(raw) as Record<string, unknown> : {};
    const record = { target, authorization: req.headers.authorization, body, messageId: null as string | null, at: Date.now() };
    this.requests.push(record);
    if (!sigV4Valid(req, raw)) {
      return this.#json(res, 403, { __type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' }, { 'x-amzn-errortype': 'UnrecognizedClientException' });
    }
    if (target !== 'PinpointSMSVoiceV2.SendTextMessage') return this.#json(res, 400, { __type: 'UnknownOperationException' }, { 'x-amzn-errortype': 'UnknownOperationException' });
    const behaviour = this.behaviours.shift();
    if (behaviour?.kind === 'hang') { this.hanging.add(res); return; }
    if (behaviour?.kind === 'error') {
      return this.#json(res, behaviour.status, { __type: behaviour.type, message: behaviour.message ?? `simulated ${behaviour.type}`, ...(behaviour.reason ? { Reason: behaviour.reason } : {}) }, { 'x-amzn-errortype': behaviour.type });
    }
    const verdict = this.script?.verdict() ?? 'ok';
    if (verdict === 'throttle') return this.#json(res, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' }, { 'x-amzn-errortype': 'ThrottlingException' });
    if (verdict !== 'ok') return this.#json(res, 500, { __type: 'InternalServerException', message: verdict === 'outage' ? 'Service unavailable (sandbox outage)' : 'Internal error (sandbox)' }, { 'x-amzn-errortype': 'InternalServerException' });
    if (typeof body.DestinationPhoneNumber !== 'string' || !/^\+[1-9]\d{1,14}$/.test(body.DestinationPhoneNumber)) {
      return this.#json(res, 400, { __type: 'ValidationException', message: 'DestinationPhoneNumber must be E.164', Reason: 'INVALID_PARAMETER' }, { 'x-amzn-errortype': 'ValidationException' });
    }
    if (typeof body.MessageBody !== 'string' || typeof body.OriginationIdentity !== 'string') {
      return this.#json(res, 400, { __type: 'ValidationException', message: 'MessageBody and OriginationIdentity are required', Reason: 'MISSING_PARAMETER' }, { 'x-amzn-errortype': 'ValidationException' });
    }
    const messageId = randomUUID();
    record.messageId = messageId;
    await this.scriptedDelay();
    this.#json(res, 200, { MessageId: messageId });
    const plan = this.#scripted() ?? this.plan;
    if (plan.lost || !this.subscriptionUrl) return;
    plan.events.forEach((eventType, i) => {
      this.later(plan.delayMs * (i + 1), async () => {
        const { headers, body: payload } = this.event(messageId, eventType);
        try {
          const r = await fetch(this.subscriptionUrl, { method: 'POST', headers, body: payload });
          this.published.push({ url: this.subscriptionUrl, status: r.status, type: eventType, messageId });
        } catch { /* the gateway is gone; SNS would retry per its delivery policy */ }
      });
    });
  }
}

/** Whether a request carries a valid SigV4 signature by FAKE_AWS_KEY_ID for the sms-voice service in FAKE_AWS_REGION. */
function sigV4Valid(req: IncomingMessage, body: string): boolean {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(req.headers.authorization ?? '');
  const amzDate = req.headers['x-amz-date'];
  if (!m || typeof amzDate !== 'string') return false;
  const [, keyId, date, region, service, signedHeaders, signature] = m;
  if (keyId !== FAKE_AWS_KEY_ID || region !== FAKE_AWS_REGION || service !== 'sms-voice' || !amzDate.startsWith(date)) return false;
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return false;
  const url = new URL(req.url ?? '/', 'http://fake');
  const encode = (v: string) => encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = [...url.searchParams].map(([k, v]) => [encode(k), encode(v)]).sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join('&');
  const header = (name: string) => String(req.headers[name] ?? '').trim().replace(/\s+/g, ' ');
  const sha256 = (v: string) => createHash('sha256').update(v, 'utf8').digest('hex');
  const canonical = [req.method, url.pathname.split('/').map((seg) => encode(decodeURIComponent(seg))).join('/') || '/', query,
    names.map((n) => `${n}:${header(n)}\n`).join(''), signedHeaders, sha256(body)].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const hmac = (key: string | Buffer, v: string) => createHmac('sha256', key).update(v, 'utf8').digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${FAKE_AWS_SECRET}`, date), region), service), 'aws4_request');
  const want = Buffer.from(hmac(signingKey, toSign).toString('hex'));
  return timingSafeEqual(want, Buffer.from(signature));
}
