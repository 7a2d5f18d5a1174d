import { CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { EditorState } from '@codemirror/state';
import { describe, expect, it } from 'vitest';
import { moduleCompletions, topLevelNames } from '../../src-renderer/src/editor/module-completions.js';

const UTILS = 'import math\n\nRADIUS_KM = 6371.0\n\n\ndef haversine_km(a, b):\n    inner = 1\n    return inner\n\n\n@fused.cache\ndef cities():\n    return []\n\n\nclass City:\n    name: str\n';

function complete(text: string): CompletionResult | null {
  const state = EditorState.create({ doc: text });
  return moduleCompletions({ utils: UTILS })(new CompletionContext(state, text.length, false)) as CompletionResult | null;
}

describe('completion of header modules', () => {
  it("lists a module's top-level names, decorated ones too, and nothing nested", () => {
    expect(topLevelNames(UTILS)).toEqual([
      { label: 'RADIUS_KM', type: 'variable' }, { label: 'haversine_km', type: 'function' },
      { label: 'cities', type: 'function' }, { label: 'City', type: 'class' },
    ]);
    expect(topLevelNames('')).toEqual([]);
    expect(topLevelNames('def (:\n')).toEqual([]);
  });

  it('completes after `utils.` and in `from utils import`, from the word typed so far', () => {
    const member = complete('    d = utils.hav');
    expect(member?.options.map((option) => option.label)).toContain('haversine_km');
    expect(member?.from).toBe('    d = utils.'.length);
    const imported = complete('from utils import cities, Ci');
    expect(imported?.options.map((option) => option.label)).toContain('City');
    expect(imported?.from).toBe('from utils import cities, '.length);
    expect(complete('from utils import (')?.from).toBe('from utils import ('.length);
  });

  it('offers nothing for other modules', () => {
    expect(complete('pd.')).toBeNull();
    expect(complete('from pandas import Da')).toBeNull();
    expect(complete('utils')).toBeNull();
  });
});
