import { describe, expect, it } from 'vitest';
import { formatFromFileName, parseFormat, parseFormatList } from '../../src-shared/formats.js';

describe('formats', () => {
  it('resolves names and aliases case-insensitively', () => {
    expect(parseFormat('PNG')).toBe('png');
    expect(parseFormat(' txt ')).toBe('text');
    expect(parseFormatList('png, parquet')).toEqual(['png', 'parquet']);
  });

  it('names the known formats when given an unknown one', () => {
    expect(() => parseFormat('docx')).toThrow(/unknown format "docx"; known formats: parquet/);
    expect(() => parseFormatList(' , ')).toThrow(/empty/);
  });

  it('reads the format from a file name', () => {
    expect(formatFromFileName('out/tile.geojson')).toBe('geojson');
    expect(formatFromFileName('table.CSV')).toBe('csv');
    expect(formatFromFileName('notes.docx')).toBeNull();
    expect(formatFromFileName('no-extension')).toBeNull();
  });
});
