// Message templates: `{name}` placeholders (letters, digits, _), filled from a send's
// `variables`. A template declares its variables (or they are read off its body); a send
// that leaves one out, or names one the template does not have, is refused naming them.

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]{0,63})\}/g;

/** The placeholders of a body, each once, in order. */
export function placeholders(body: string): string[] {
  return [...new Set([...body.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

export function renderTemplateBody(body: string, values: Readonly<Record<string, string>>): string {
  return body.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(values, name) ? values[name] : whole));
}

/** The variables missing from `given` and the ones the template does not know. */
export function variableProblems(declared: readonly string[], given: Readonly<Record<string, unknown>>): { missing: string[]; extra: string[] } {
  const names = Object.keys(given);
  return { missing: declared.filter((d) => !Object.hasOwn(given, d)), extra: names.filter((n) => !declared.includes(n)) };
}
