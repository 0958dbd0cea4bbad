// Twilio's wire conventions the sandbox answers in: JSON bodies, its error format, Basic
// auth with the account SID and auth token, RFC 2822 dates.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000');

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export function twilioError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  json(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers);
}

/** Basic auth as Twilio takes it: the account in the path, its SID and token in the header. */
export function basicAuthOk(req: IncomingMessage, accountSid: string, sid: string, token: string): boolean {
  const [user, pass] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':');
  return /^AC[0-9a-fA-F]{32}$/.test(accountSid) && accountSid === sid && user === sid && pass === token;
}
