/**
 * Light, dark or the OS setting. The choice is `data-theme` on <html>; styles.css resolves every
 * colour with light-dark(), so 'system' is simply no attribute (color-scheme: light dark).
 * resolvedTheme() is what is showing now, for code that draws colours itself (the map).
 */

import { readPref, writePref } from './prefs.js';

export const THEME_CHOICES = ['system', 'light', 'dark'] as const;
export type ThemeChoice = (typeof THEME_CHOICES)[number];

const isChoice = (value: unknown): value is ThemeChoice => THEME_CHOICES.includes(value as ThemeChoice);
const darkQuery = matchMedia('(prefers-color-scheme: dark)');

export const theme = $state({
  choice: readPref<ThemeChoice>('theme', 'system', isChoice),
  systemDark: darkQuery.matches,
});

/** Reactive where read inside an effect or a template. */
export function resolvedTheme(): 'light' | 'dark' {
  return theme.choice === 'system' ? (theme.systemDark ? 'dark' : 'light') : theme.choice;
}

darkQuery.addEventListener('change', (event) => {
  theme.systemDark = event.matches;
});

export function setTheme(choice: ThemeChoice): void {
  theme.choice = choice;
  writePref('theme', choice);
  applyTheme();
}

/** Puts the choice on <html>; called once before the first paint and on every change. */
export function applyTheme(): void {
  if (theme.choice === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.dataset.theme = theme.choice;
}
