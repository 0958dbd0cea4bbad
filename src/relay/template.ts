// Relay message templates: {from}, {to} and {body} placeholders. A relayed text carries
// the template's wording around the original body, so the number of times a body already
// went through a relay (its hops) can be read back by peeling that wording off again:
// what stops a loop between auto-forwarding phones even when they add "Fwd:" of their own.

export const DEFAULT_TEMPLATE = 'From {from}: {body}';

const PLACEHOLDER = /\{(from|to|body)\}/g;

export function renderTemplate(template: string, v: { from: string; to: string; body: string }): string {
  return template.replace(PLACEHOLDER, (_, k: 'from' | 'to' | 'body') => v[k]);
}

/** null when the template is usable; otherwise why not. */
export function templateProblem(template: string): string | null {
  if (!template.includes('{body}')) return 'the template must contain {body}';
  if (template.split('{body}').length > 2) return 'the template may contain {body} only once';
  return null;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function peeler(template: string): RegExp | null {
  const parts = template.split(PLACEHOLDER);
  // split() with a capture group alternates literal, name, literal, …
  let re = '';
  let literal = 0;
  parts.forEach((p, i) => {
    if (i % 2 === 0) { re += escape(p); literal += p.trim().length; return; }
    re += p === 'body' ? '([\\s\\S]*)' : '[^\\s]{1,32}';
  });
  // A template with no wording of its own ("{body}") leaves no trace to count.
  return literal === 0 ? null : new RegExp(`^[\\s\\S]*?${re}$`);
}

/** How many relays (by any of `templates`) the body already went through, counting up to `max`. */
export function hopsOf(body: string, templates: string[], max: number): number {
  const peelers = [...new Set(templates)].map(peeler).filter((r): r is RegExp => r !== null);
  let hops = 0;
  let rest = body;
  while (hops < max) {
    let inner: string | undefined;
    for (const re of peelers) {
      const m = re.exec(rest);
      if (m && m[1] !== undefined && m[1].length < rest.length) { inner = m[1]; break; }
    }
    if (inner === undefined) break;
    rest = inner;
    hops++;
  }
  return hops;
}
