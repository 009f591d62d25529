// What a Teams client shows for a bot's Markdown text message, as far as these tests need it:
// angle brackets, character references, backslash escapes and code spans. Read from the Microsoft
// 365 Agents Playground's client (@microsoft/m365agentsplayground), which mirrors Teams: before the
// Markdown parser sees the text, a tag-like "<word>" whose tag it does not render becomes
// "&lt;word&gt;"; CommonMark then decodes character references and backslash escapes in text, but
// shows both literally inside a code span. So "`/incident <id>`" reads "/incident &lt;id&gt;".

/** Tags the client renders (and so leaves alone); every other tag-like word is shown as text. */
const RENDERED_TAGS = new Set(['em', 'i', 'strong', 'b', 'del', 'u', 'ol', 'ul', 'li', 'a', 'p', 'br', 'blockquote', 'img', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'at', 'code', 'pre', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'span']);
const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"' };

export function shownText(markdown: string): string {
  const preEscaped = markdown.replace(/<\s*(\/?)\s*([a-z][a-z0-9]*)\s*(\/?)\s*>/gi, (tag: string, _close: string, name: string) =>
    RENDERED_TAGS.has(name.toLowerCase()) ? tag : tag.replace(/</g, '&lt;').replace(/>/g, '&gt;'),
  );
  return preEscaped
    .split(/(`[^`]*`)/)
    .map((part) =>
      part.startsWith('`') && part.endsWith('`') && part.length > 1
        ? part.slice(1, -1)
        : part.replace(/\\([!-/:-@[-`{-~])|&(?:lt|gt|amp|quot);/g, (match: string, escaped: string | undefined) => escaped ?? ENTITIES[match] ?? match),
    )
    .join('');
}
