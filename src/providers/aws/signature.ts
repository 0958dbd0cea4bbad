// Amazon SNS message signatures (delivery events reach us through an SNS HTTPS
// subscription). Verification is sns-payload-validator's job: it checks the message
// type and signature version, that SigningCertURL is an https sns.<region>.amazonaws.com
// certificate, and the RSA signature over the documented fields. Certificates are
// cached for the process. A SubscriptionConfirmation is confirmed by fetching its
// SubscribeURL, which must be an https SNS host too.
import Validator from 'sns-payload-validator';
import { request, type Dispatcher } from 'undici';
import { readFileSync } from 'node:fs';

export type SnsMessage = Validator.SnsPayload & Record<string, unknown>;

const SNS_HOST = /^sns\.[a-z0-9-]{3,}\.amazonaws\.com(\.cn)?$/;

export class SnsVerifier {
  readonly #validator = new Validator({ useCache: true, maxCerts: 100 });
  /** where confirmations go (an undici dispatcher; the default is undici's global one) */
  dispatcher: Dispatcher | undefined;

  /** the message, if it really comes from SNS (and from `topicArn`, when given) */
  async verify(body: string, topicArn?: string): Promise<SnsMessage | null> {
    try {
      const message = (await this.#validator.validate(body)) as SnsMessage;
      if (topicArn && message.TopicArn !== topicArn) return null;
      return message;
    } catch {
      return null;
    }
  }

  /** Trusts a certificate (PEM) for a SigningCertURL, as if fetched from it: the tests' loopback SNS. */
  trust(certUrl: string, pem: string): void {
    (this.#validator as unknown as { certCache: { set(k: string, v: string): void } }).certCache.set(certUrl, pem);
  }

  /** Confirms a subscription by fetching its SubscribeURL (an https SNS host only). */
  async confirm(subscribeUrl: string, signal?: AbortSignal): Promise<boolean> {
    let url: URL;
    try { url = new URL(subscribeUrl); } catch { return false; }
    if (url.protocol !== 'https:' || !SNS_HOST.test(url.hostname)) return false;
    const res = await request(url, { method: 'GET', signal: signal ?? AbortSignal.timeout(10_000), dispatcher: this.dispatcher });
    await res.body.dump();
    return res.statusCode === 200;
  }
}

/** One verifier per process: its certificate cache is shared by every AWS provider. */
export const snsVerifier = new SnsVerifier();

/** Trusts the certificates in a file ({ "<SigningCertURL>": "<PEM>" }: SWITCHBOARD_SNS_TRUST, the AWS sandbox's). */
export function trustFile(path: string): void {
  for (const [url, pem] of Object.entries(JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>)) snsVerifier.trust(url, pem);
}
