/**
 * README rendering: Markdown (GitHub's flavour) by marked, then sanitised by DOMPurify, so a
 * README can never run script or inject handlers. Python code blocks are coloured by the editor's
 * parser (`tok-*` classes); links open in a new window, without access to this one.
 */

import { pythonLanguage } from '@codemirror/lang-python';
import { classHighlighter, highlightCode } from '@lezer/highlight';
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

const PYTHON = new Set(['python', 'py', 'python3']);

const marked = new Marked({
  gfm: true,
  async: false,
  renderer: {
    code({ text, lang }) {
      if (!PYTHON.has((lang ?? '').trim().toLowerCase())) return false;
      return `<pre><code class="language-python">${highlightPython(text)}</code></pre>\n`;
    },
  },
});

const purify = DOMPurify();
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

export function renderMarkdown(source: string): string {
  const html = marked.parse(source, { async: false });
  return purify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select'] });
}

function highlightPython(code: string): string {
  let html = '';
  const put = (text: string, classes: string): void => {
    html += classes ? `<span class="${classes}">${escapeHtml(text)}</span>` : escapeHtml(text);
  };
  highlightCode(code, pythonLanguage.parser.parse(code), classHighlighter, put, () => (html += '\n'));
  return html;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
