/** Words for messages (lint findings, diff and migration text): counts and lists in English. */

/** "1 user", "3 users"; "1 mailbox", "2 mailboxes" with the plural given. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** "a, b and c"; "a, b, c and 4 more" past `limit`. */
export function listOf(items: readonly string[], limit = 5): string {
  if (items.length <= 1) return items.join('');
  if (items.length > limit) return `${items.slice(0, limit).join(', ')} and ${items.length - limit} more`;
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
