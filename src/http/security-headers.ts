// The headers every HTML page this server renders carries (the dashboard, the public
// tracking page): scripts, styles and requests only from this origin, never framed (no
// clickjacking), no content-type guessing.
export const PAGE_SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff', 'referrer-policy': 'same-origin', 'x-frame-options': 'DENY',
} as const;
