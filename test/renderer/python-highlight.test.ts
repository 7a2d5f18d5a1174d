import { describe, expect, it } from 'vitest';
import { highlightPython } from '../../src-renderer/src/lib/python-highlight.js';

describe('Python highlighting', () => {
  it('colours keywords, strings, comments, decorators, numbers and definitions', () => {
    const html = highlightPython('@fused.udf\ndef udf(n: int = 3):  # note\n    return f"{n}" * 2\n');
    expect(html).toContain('<span class="tok-decorator">@fused.udf</span>');
    expect(html).toContain('<span class="tok-keyword">def</span> <span class="tok-definition">udf</span>');
    expect(html).toContain('<span class="tok-builtin">int</span>');
    expect(html).toContain('<span class="tok-comment"># note</span>');
    expect(html).toContain('<span class="tok-string">f&#34;{n}&#34;</span>');
    expect(html).toContain('<span class="tok-number">2</span>');
  });

  it('keeps the text exactly (so the overlay lines up) and escapes it', () => {
    const code = 'x = "<b>" if a < b else \'&\'\n"""unterminated\n';
    const html = highlightPython(code);
    expect(html).not.toContain('<b>');
    const text = html.replace(/<[^>]+>/g, '').replace(/&#(\d+);/g, (_all, n: string) => String.fromCharCode(Number(n)));
    expect(text).toBe(code);
  });
});
