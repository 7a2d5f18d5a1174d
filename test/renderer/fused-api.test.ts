import { CompletionContext } from '@codemirror/autocomplete';
import { EditorState } from '@codemirror/state';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FUSED_API, fusedCompletions } from '../../src-renderer/src/editor/fused-api.js';

const RUNTIME = new URL('../../resources/runtime/fused/', import.meta.url);

/** The names a module of the runtime's `fused` exports: its `__all__` list. */
function exported(file: string): Set<string> {
  const source = readFileSync(new URL(file, RUNTIME), 'utf8');
  const list = /^__all__ = \[([\s\S]*?)^\]/m.exec(source)?.[1];
  if (!list) throw new Error(`${file} has no __all__`);
  return new Set([...list.matchAll(/"(\w+)"/g)].map((match) => match[1] as string));
}

/** The submodules `fused/__init__.py` imports (`from . import api as api`), which `__all__` leaves out. */
function submodules(): string[] {
  const source = readFileSync(new URL('__init__.py', RUNTIME), 'utf8');
  return [...source.matchAll(/^from \. import (.+)$/gm)].flatMap((match) => (match[1] as string).split(',').map((name) => name.trim().split(' ')[0] as string));
}

/** The option names of `fused.options`: the keys of its settings table. */
function optionNames(): Set<string> {
  const source = readFileSync(new URL('_options.py', RUNTIME), 'utf8');
  return new Set([...source.matchAll(/^ {4}"(\w+)": /gm)].map((match) => match[1] as string));
}

function complete(text: string, explicit = false): string[] | null {
  const state = EditorState.create({ doc: text });
  const result = fusedCompletions(new CompletionContext(state, text.length, explicit));
  return result ? result.options.map((option) => option.label) : null;
}

describe("the editor's fused API list", () => {
  it('offers only names the runtime has', () => {
    const modules: Record<string, Set<string>> = {
      fused: new Set([...exported('__init__.py'), ...submodules()]),
      'fused.api': exported('api/__init__.py'),
      'fused.types': exported('types.py'),
      'fused.context': exported('context.py'),
      'fused.options': optionNames(),
    };
    expect(Object.keys(FUSED_API).sort()).toEqual(Object.keys(modules).sort());
    for (const [path, members] of Object.entries(FUSED_API)) {
      const missing = members.map((member) => member.label).filter((label) => !modules[path]?.has(label));
      expect(missing, path).toEqual([]);
    }
    for (const name of ['load', 'run', 'cache', 'file_path', 'download', 'submit', 'secrets', 'api', 'options']) {
      expect(FUSED_API.fused?.map((member) => member.label)).toContain(name);
    }
  });

  it('completes members after a dot, at any depth it knows, and the name fused itself', () => {
    expect(complete('x = fused.lo')).toContain('load');
    expect(complete('fused.')).toContain('submit');
    expect(complete('fused.api.')).toContain('list');
    expect(complete('    b: fused.types.B')).toContain('Bounds');
    expect(complete('fused.options.')).toContain('cache_directory');
    expect(complete('fu')).toEqual(['fused']);
  });

  it('offers nothing for modules it does not know or words that are not fused', () => {
    expect(complete('fused.nothing.')).toBeNull();
    expect(complete('pandas.')).toBeNull();
    expect(complete('ref')).toBeNull();
    expect(complete('myfused.')).toBeNull();
    // One letter completes only when asked (Ctrl+Space).
    expect(complete('f')).toBeNull();
    expect(complete('f', true)).toEqual(['fused']);
  });
});
