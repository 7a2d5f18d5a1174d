/**
 * The parameter form's model: fields from the UDF's signature and `fused:defaultParameters`, and
 * a check of each value by its annotation before the run (the worker converts it the same way).
 */

import type { UdfDetail } from '../../../src-shared/app-api.js';

export type FieldKind = 'int' | 'float' | 'bool' | 'str' | 'json' | 'text';

export interface ParameterField {
  name: string;
  kind: FieldKind;
  annotation: string | null;
  /** The value as text, as the form edits it. */
  initial: string;
  required: boolean;
  /** The field may be left empty (the UDF's default applies). */
  optional: boolean;
  suggestions: string[];
}

/** The form's fields: every parameter but the tile's (the map supplies that one). */
export function fieldsOf(detail: UdfDetail): ParameterField[] {
  const parameters = detail.description?.parameters ?? [];
  const tileParam = detail.description?.tileParam ?? null;
  return parameters.filter((parameter) => parameter.name !== tileParam).map((parameter) => {
    const preset = detail.defaultParameters.find((entry) => entry.parameter === parameter.name);
    const kind = kindOf(parameter.annotation ?? preset?.type ?? null);
    const value = preset ? preset.value : parameter.default;
    return {
      name: parameter.name,
      kind,
      annotation: parameter.annotation,
      initial: textOf(value, kind),
      required: parameter.required,
      optional: !parameter.required && (parameter.default === null || /None|Optional/.test(parameter.annotation ?? '')),
      suggestions: (preset?.suggestedValues ?? []).map((suggestion) => textOf(suggestion, kind)).filter((text) => text !== ''),
    };
  });
}

/** What is wrong with a value, or null when it converts. */
export function problemOf(field: ParameterField, text: string): string | null {
  const value = text.trim();
  if (value === '') return field.required ? 'required' : null;
  switch (field.kind) {
    case 'int':
      return /^[+-]?\d+$/.test(value) ? null : 'must be a whole number';
    case 'float':
      return value !== '' && Number.isFinite(Number(value)) ? null : 'must be a number';
    case 'bool':
      return /^(true|false|1|0|yes|no)$/i.test(value) ? null : 'must be true or false';
    case 'json':
      try {
        JSON.parse(value);
        return null;
      } catch {
        return 'must be JSON, e.g. ["a", "b"] or {"k": 1}';
      }
    default:
      return null;
  }
}

/** The parameters to send: filled fields only, so an empty optional field keeps the UDF's default. */
export function paramsOf(fields: ParameterField[], values: Record<string, string>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const field of fields) {
    const value = (values[field.name] ?? '').trim();
    if (value !== '') params[field.name] = value;
  }
  return params;
}

function kindOf(annotation: string | null): FieldKind {
  const plain = (annotation ?? '').replace(/\s*\|\s*None|Optional\[|\]$/g, '').trim();
  if (/^int$/.test(plain)) return 'int';
  if (/^float$/.test(plain)) return 'float';
  if (/^bool$/.test(plain)) return 'bool';
  if (/^str$/.test(plain)) return 'str';
  if (/^(list|dict|List|Dict|tuple)\b/.test(plain)) return 'json';
  return 'text';
}

function textOf(value: unknown, kind: FieldKind): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (kind !== 'json' && (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')) return String(value);
  return JSON.stringify(value) ?? '';
}

/**
 * The form's values after the UDF's fields changed (a save on disk): a value the user left at the
 * old default follows the new default; one they edited is kept; a new field starts at its default.
 */
export function followDefaults(before: ParameterField[], after: ParameterField[], values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(after.map((field) => {
    const old = before.find((candidate) => candidate.name === field.name);
    const value = values[field.name];
    const edited = old !== undefined && value !== undefined && value !== old.initial && old.kind === field.kind;
    return [field.name, edited ? value : field.initial];
  }));
}
