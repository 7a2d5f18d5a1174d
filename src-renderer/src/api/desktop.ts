/**
 * The desktop shell's few methods (`window.udfStudioDesktop`, from its preload), or null in a
 * browser. The window uses them where the desktop does better than the engine alone.
 */

import { DESKTOP_API_NAME, type DesktopApi } from '../../../src-shared/desktop-api.js';

export const desktop: DesktopApi | null = ((globalThis as unknown as Record<string, unknown>)[DESKTOP_API_NAME] as DesktopApi | undefined) ?? null;
