/**
 * Window preferences kept in this origin's localStorage (theme, pane sizes, sidebar): per machine and
 * per engine port, which is what a layout choice is. A missing or malformed value reads as the default.
 */

const PREFIX = 'udf-studio.ui.';

export function readPref<T>(name: string, fallback: T, valid: (value: unknown) => value is T): T {
  try {
    const raw = localStorage.getItem(PREFIX + name);
    if (raw === null) return fallback;
    const value: unknown = JSON.parse(raw);
    return valid(value) ? value : fallback;
  } catch {
    return fallback;
  }
}

export function writePref(name: string, value: unknown): void {
  localStorage.setItem(PREFIX + name, JSON.stringify(value));
}

export const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
export const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
