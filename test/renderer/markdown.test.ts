import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src-renderer/src/lib/markdown.js';

describe('README markdown', () => {
  it('renders headings, lists, tables, code and links', () => {
    const html = renderMarkdown('# Title\n\nSome `code` and **bold** and *em* with [a link](https://example.org/x?a=1&b=2).\n\n- one\n- two\n\n1. first\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\ndef udf():\n    return 1\n```\n');
    expect(html).toContain('<h2>Title</h2>');
    expect(html).toContain('<code>code</code>');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<em>em</em>');
    expect(html).toContain('<a href="https://example.org/x?a=1&#38;b=2" target="_blank" rel="noopener noreferrer">a link</a>');
    expect(html).toContain('<ul><li>one</li><li>two</li></ul>');
    expect(html).toContain('<ol><li>first</li></ol>');
    expect(html).toContain('<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>');
    expect(html).toContain('<span class="tok-keyword">def</span>');
  });

  it('never lets a README inject markup or scripts', () => {
    const html = renderMarkdown('<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n\n`<b>`\n\n```\n</pre><script>\n```');
    expect(html).not.toMatch(/<script|<img|<b>|href="javascript/);
    expect(html).toContain('&#60;script&#62;');
  });

  it('keeps markup out of code spans', () => {
    expect(renderMarkdown('`**not bold**`')).toBe('<p><code>**not bold**</code></p>');
  });
});
