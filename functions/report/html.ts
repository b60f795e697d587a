/** Everything printed from the data into HTML goes through here: escaped, and cut to a readable length. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/**
 * Labels from the data (agent names, categories, segments) cut to `max` characters: the whole
 * value stays in the lake, and no field can push an e-mail past Gmail's 102 KB clip.
 */
export function cutLabel(value: unknown, max = 60): string {
  const text = String(value ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** Escaped and cut: the one way a label from the data enters HTML. */
export const htmlLabel = (value: unknown, max = 60): string => escapeHtml(cutLabel(value, max));
