/**
 * Python syntax highlighting for the code editor: one pass of a tokenizer into escaped HTML
 * spans. It colours; it does not parse (the worker reports real syntax errors).
 */

const KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else',
  'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise',
  'return', 'try', 'while', 'with', 'yield', 'match', 'case',
]);
const BUILTINS = new Set([
  'print', 'len', 'range', 'int', 'float', 'str', 'bool', 'list', 'dict', 'set', 'tuple', 'type', 'isinstance', 'min', 'max',
  'sum', 'abs', 'round', 'enumerate', 'zip', 'map', 'filter', 'sorted', 'any', 'all', 'open', 'super', 'self', 'ValueError',
  'TypeError', 'KeyError', 'Exception', 'RuntimeError',
]);

/** One regex alternation, tried at each position: the first group that matches names the token. */
const TOKEN = new RegExp([
  String.raw`(#[^\n]*)`,
  String.raw`((?:[rRbBuUfF]{1,2})?(?:"""[\s\S]*?(?:"""|$)|'''[\s\S]*?(?:'''|$)|"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?))`,
  String.raw`(@[A-Za-z_][\w.]*)`,
  String.raw`(\b(?:0[xX][0-9a-fA-F_]+|\d[\d_]*\.?[\d_]*(?:[eE][+-]?\d+)?j?)\b)`,
  String.raw`([A-Za-z_]\w*)`,
].join('|'), 'g');

export function highlightPython(code: string): string {
  let html = '';
  let last = 0;
  let previousWord = '';
  for (const match of code.matchAll(TOKEN)) {
    const index = match.index;
    html += escapeHtml(code.slice(last, index));
    const [text, comment, string, decorator, number, word] = match;
    if (comment !== undefined) html += span('comment', text);
    else if (string !== undefined) html += span('string', text);
    else if (decorator !== undefined) html += span('decorator', text);
    else if (number !== undefined) html += span('number', text);
    else if (word !== undefined) {
      if (previousWord === 'def' || previousWord === 'class') html += span('definition', text);
      else if (KEYWORDS.has(word)) html += span('keyword', text);
      else if (BUILTINS.has(word)) html += span('builtin', text);
      else html += escapeHtml(text);
      previousWord = word;
    }
    if (word === undefined) previousWord = '';
    last = index + text.length;
  }
  return html + escapeHtml(code.slice(last));
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function span(kind: string, text: string): string {
  return `<span class="tok-${kind}">${escapeHtml(text)}</span>`;
}
