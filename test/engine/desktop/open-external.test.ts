import { describe, expect, it } from 'vitest';
import { editorCommand, revealCommand, splitCommand } from '../../../src-main/engine/desktop/open-external.js';

describe('editor and file-manager commands', () => {
  it('splits a command line with quotes, without a shell', () => {
    expect(splitCommand(`code --goto "{file}:{line}"`)).toEqual(['code', '--goto', '{file}:{line}']);
    expect(splitCommand(`  subl  '' x `)).toEqual(['subl', '', 'x']);
    expect(() => splitCommand('vim "unclosed')).toThrow(/unclosed " quote/);
  });

  it('fills in the file and line per argument, so a file name stays one argument', () => {
    expect(editorCommand('code --goto {file}:{line}', '/a b/$(rm -rf).py', 7)).toEqual(['code', '--goto', '/a b/$(rm -rf).py:7']);
    expect(editorCommand('gedit', '/x.py', null)).toEqual(['gedit', '/x.py']);
    expect(editorCommand(null, '/x.py', 3, 'linux')).toEqual(['xdg-open', '/x.py']);
    expect(() => editorCommand('   ', '/x.py', 1)).toThrow(/empty/);
  });

  it('uses each platform\'s file manager', () => {
    expect(revealCommand('/d', 'darwin')).toEqual(['open', '/d']);
    expect(revealCommand('/d', 'win32')).toEqual(['explorer', '/d']);
    expect(revealCommand('/d', 'linux')).toEqual(['xdg-open', '/d']);
  });
});
