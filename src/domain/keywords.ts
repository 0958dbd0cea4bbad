// Compliance keywords (domain.md §8.1): an inbound text that is exactly one keyword —
// case-insensitive, surrounding spaces and punctuation ignored — is a command, not a message.
export type Keyword = 'stop' | 'start' | 'help';

export interface KeywordLists { stop: readonly string[]; start: readonly string[]; help: readonly string[] }

export function keywordOf(body: string, lists: KeywordLists): Keyword | null {
  const word = body.trim().replace(/^[\s.!?,;:'"]+|[\s.!?,;:'"]+$/g, '').toUpperCase();
  if (word === '') return null;
  const has = (xs: readonly string[]) => xs.some((k) => k.toUpperCase() === word);
  if (has(lists.stop)) return 'stop';
  if (has(lists.start)) return 'start';
  if (has(lists.help)) return 'help';
  return null;
}
