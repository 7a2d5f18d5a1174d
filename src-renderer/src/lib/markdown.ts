/**
 * A small Markdown renderer for UDF READMEs: headings, paragraphs, lists, tables, fenced code,
 * inline code, emphasis and links. Every piece of text is escaped first, so a README can never
 * inject markup; links open only http(s) URLs.
 */

import { escapeHtml, highlightPython } from './python-highlight.js';

export function renderMarkdown(source: string): string {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    const fence = /^\s*(```|~~~)\s*([\w+-]*)/.exec(line);
    if (fence) {
      const body: string[] = [];
      for (i++; i < lines.length && !(lines[i] as string).trim().startsWith(fence[1] as string); i++) body.push(lines[i] as string);
      i++;
      const code = body.join('\n');
      out.push(`<pre class="md-code"><code>${fence[2] === 'python' || fence[2] === 'py' ? highlightPython(code) : escapeHtml(code)}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const level = Math.min((heading[1] as string).length + 1, 6);
      out.push(`<h${level}>${inline(heading[2] as string)}</h${level}>`);
      i++;
      continue;
    }
    if (/^\s*\|.*\|\s*$/.test(line) && /^\s*\|?\s*:?-{2,}/.test(lines[i + 1] ?? '')) {
      const rows: string[][] = [];
      for (; i < lines.length && /^\s*\|.*\|\s*$/.test(lines[i] as string); i++) rows.push(cells(lines[i] as string));
      const [head = [], , ...body] = rows;
      out.push(`<table><thead><tr>${head.map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
      continue;
    }
    const item = /^\s*(?:[-*+]|(\d+)[.)])\s+/;
    if (item.test(line)) {
      const ordered = Boolean(item.exec(line)?.[1]);
      const items: string[] = [];
      for (; i < lines.length && item.test(lines[i] as string); i++) items.push(`<li>${inline((lines[i] as string).replace(item, ''))}</li>`);
      out.push(ordered ? `<ol>${items.join('')}</ol>` : `<ul>${items.join('')}</ul>`);
      continue;
    }
    if (!line.trim()) {
      i++;
      continue;
    }
    const paragraph: string[] = [];
    for (; i < lines.length && (lines[i] as string).trim() && !/^(#{1,6}\s|\s*(```|~~~)|\s*([-*+]|\d+[.)])\s|\s*\|)/.test(lines[i] as string); i++) paragraph.push(lines[i] as string);
    if (paragraph.length === 0) paragraph.push(lines[i++] as string);
    out.push(`<p>${inline(paragraph.join(' '))}</p>`);
  }
  return out.join('\n');
}

function cells(row: string): string[] {
  return row.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((cell) => cell.trim());
}

/** Inline markup on escaped text; code spans are cut out first so nothing inside them is touched. */
function inline(text: string): string {
  const codes: string[] = [];
  let html = escapeHtml(text).replace(/`([^`]+)`/g, (_all, code: string) => {
    codes.push(`<code>${code}</code>`);
    return `\u0000${codes.length - 1}\u0000`;
  });
  html = html
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\w*])\*([^*\s][^*]*)\*/g, '$1<em>$2</em>')
    .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>');
  return html.replace(/\u0000(\d+)\u0000/g, (_all, index: string) => codes[Number(index)] as string);
}
