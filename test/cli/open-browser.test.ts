import { describe, expect, it } from 'vitest';
import { browserOpener, openInBrowser } from '../../src-main/cli/open-browser.js';

const URL = 'http://127.0.0.1:8765/';

describe('opening the window in the system browser', () => {
  it('uses each platform\'s opener', () => {
    expect(browserOpener(URL, {}, 'darwin')).toEqual({ command: 'open', args: [URL] });
    expect(browserOpener(URL, {}, 'win32')).toEqual({ command: 'cmd', args: ['/c', 'start', '""', URL] });
    expect(browserOpener(URL, { DISPLAY: ':0' }, 'linux')).toEqual({ command: 'xdg-open', args: [URL] });
    expect(browserOpener(URL, { WAYLAND_DISPLAY: 'wayland-0' }, 'freebsd')).toEqual({ command: 'xdg-open', args: [URL] });
  });

  it('says there is no display on a Linux session without X or Wayland', async () => {
    expect(browserOpener(URL, { DISPLAY: '', WAYLAND_DISPLAY: '' }, 'linux')).toBeNull();
    expect(await openInBrowser(URL, {}, 'linux')).toEqual({ opened: false, reason: 'no display' });
  });

  it('reports an opener that is not installed instead of throwing', async () => {
    expect(await openInBrowser(URL, { DISPLAY: ':0', PATH: '/nonexistent' }, 'linux')).toEqual({ opened: false, reason: 'xdg-open failed (spawn xdg-open ENOENT)' });
  });
});
