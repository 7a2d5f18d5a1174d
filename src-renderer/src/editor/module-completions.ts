/**
 * Completion of a UDF's header modules: after `utils.` or in `from utils import ...`, the names
 * the module's text defines at its top level (functions, classes, assigned names), read with the
 * editor's Python parser when the completion is asked for.
 */

import type { Completion, CompletionContext, CompletionResult, CompletionSource } from '@codemirror/autocomplete';
import { pythonLanguage } from '@codemirror/lang-python';

type SyntaxNode = NonNullable<ReturnType<typeof pythonLanguage.parser.parse>['topNode']['firstChild']>;

const KINDS: Record<string, Completion['type']> = { FunctionDefinition: 'function', ClassDefinition: 'class', AssignStatement: 'variable' };
const MEMBER = /\b(\w+)\.(\w*)$/;
const FROM_IMPORT = /^\s*from\s+(\w+)\s+import\s+\(?\s*(?:\w+\s*,\s*)*(\w*)$/;

/** The names a module defines at its top level, in order, once each. */
export function topLevelNames(code: string): Completion[] {
  const names = new Map<string, Completion>();
  const add = (node: SyntaxNode): void => {
    const type = KINDS[node.name];
    const nameNode = type ? node.getChild('VariableName') : null;
    const label = nameNode ? code.slice(nameNode.from, nameNode.to) : null;
    if (label && !names.has(label)) names.set(label, { label, type });
  };
  for (let node = pythonLanguage.parser.parse(code).topNode.firstChild; node; node = node.nextSibling) {
    if (node.name === 'DecoratedStatement') {
      for (let part = node.firstChild; part; part = part.nextSibling) add(part);
    } else {
      add(node);
    }
  }
  return [...names.values()];
}

/** A completion source for the given header modules, by import name (`utils` for utils.py). */
export function moduleCompletions(modules: Readonly<Record<string, string>>): CompletionSource {
  return (context: CompletionContext): CompletionResult | null => {
    const line = context.state.doc.lineAt(context.pos);
    const before = line.text.slice(0, context.pos - line.from);
    const found = MEMBER.exec(before) ?? FROM_IMPORT.exec(before);
    const text = found ? modules[found[1] as string] : undefined;
    if (!found || text === undefined) return null;
    return { from: context.pos - (found[2] ?? '').length, options: topLevelNames(text), validFor: /^\w*$/ };
  };
}
