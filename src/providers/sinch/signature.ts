// Sinch SMS REST callbacks carry no signature of their own; Sinch authenticates them the
// way the account is provisioned, and Basic authentication is the documented form that
// fits here (developers.sinch.com, SMS API "Webhooks": callbacks "provisioned with the
// appropriate username and password"). Callbacks without the right credentials are refused.
import { timingSafeEqual } from 'node:crypto';

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export function verifySinchCallback(authorization: string | undefined, username: string, password: string): boolean {
  if (!authorization || !username || !password) return false;
  const given = Buffer.from(authorization);
  const want = Buffer.from(basicAuthorization(username, password));
  return given.length === want.length && timingSafeEqual(given, want);
}
