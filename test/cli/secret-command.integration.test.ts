import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, runCli, type CliResult } from '../helpers/cli.js';
import { homeForEachTest, metaJson } from '../helpers/test-home.js';

const VALUE = 'pa55-Word-from-the-test-9931';

const home = homeForEachTest();

/** `udf-studio secret ARGS` with `input` piped to its stdin. */
function secret(args: string[], input: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'secret', ...args], { env: home.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.end(input);
  });
}

/**
 * `udf-studio secret set NAME` in a pseudo-terminal (Python's pty module), typing `keys` once the
 * prompt shows: what the terminal displayed, and the exit status.
 */
function typedInTerminal(name: string, keys: string): Promise<{ screen: string; code: number }> {
  const driver = `
import json, os, pty, select, sys
cli, name, keys = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(${JSON.stringify(process.execPath)}, [${JSON.stringify(process.execPath)}, cli, "secret", "set", name])
screen = b""
def read(until=None):
    global screen
    while until is None or until not in screen:
        ready, _, _ = select.select([fd], [], [], 30)
        if not ready:
            raise SystemExit("no output from the command: " + screen.decode())
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return
        if not chunk:
            return
        screen += chunk
read(b"(not shown): ")
os.write(fd, keys.encode())
read()
_, status = os.waitpid(pid, 0)
print(json.dumps({"screen": screen.decode(), "code": os.waitstatus_to_exitcode(status)}))
`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.UDF_STUDIO_PYTHON ?? 'python3', ['-c', driver, CLI, name, keys], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as { screen: string; code: number }) : reject(new Error(`the pty driver failed: ${err}`))));
  });
}

const stored = (): unknown => JSON.parse(readFileSync(join(home.root, 'secrets.json'), 'utf8'));

describe('udf-studio secret', () => {
  it('sets a piped value (one final line break dropped), privately and atomically, and never prints it', async () => {
    const set = await secret(['set', 'API_KEY'], `${VALUE}\n`);
    expect(set.code).toBe(0);
    expect(set.stdout.toString()).toBe('set secret API_KEY\n');
    expect(set.stderr).toBe('');
    expect(stored()).toEqual({ secrets: { API_KEY: VALUE } });
    expect(statSync(join(home.root, 'secrets.json')).mode & 0o777).toBe(0o600);

    const multiline = '{\n  "user": "ada"\n}\n\n';
    const replaced = await secret(['set', 'API_KEY'], multiline);
    expect(replaced.stdout.toString()).toBe('replaced secret API_KEY\n');
    expect(stored()).toEqual({ secrets: { API_KEY: '{\n  "user": "ada"\n}\n' } });
    expect(readdirSync(home.root).filter((file) => file.startsWith('secrets'))).toEqual(['secrets.json']);
  });

  it('lists names only, and removes', async () => {
    expect((await runCli(['secret', 'list'], home.env)).stdout.toString()).toBe('no secrets; set one with: udf-studio secret set NAME\n');
    await secret(['set', 'b_token'], VALUE);
    await secret(['set', 'A_KEY'], 'other-value');
    const list = await runCli(['secret', 'list'], home.env);
    expect(list.code).toBe(0);
    expect(list.stdout.toString()).toBe('A_KEY\nb_token\n');
    const json = await runCli(['secret', 'list', '--json'], home.env);
    expect(JSON.parse(json.stdout.toString())).toEqual({ secrets: [{ name: 'A_KEY' }, { name: 'b_token' }] });
    expect(list.stdout.toString() + json.stdout.toString()).not.toContain(VALUE);

    const removed = await runCli(['secret', 'remove', 'b_token'], home.env);
    expect(removed.code).toBe(0);
    expect(removed.stdout.toString()).toBe('removed secret b_token\n');
    expect(stored()).toEqual({ secrets: { A_KEY: 'other-value' } });
    const unknown = await runCli(['secret', 'remove', 'b_token'], home.env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('udf-studio: UDF_ERR_SECRET_UNKNOWN: no secret named "b_token"; the secrets are: A_KEY\n');
  });

  it('refuses bad names, values on the command line, empty values and stray options with exit status 2', async () => {
    const cases: Array<[string[], string, RegExp]> = [
      [['set', 'my key'], VALUE, /"my key" is not a secret name: use a letter or _, then letters, digits, _ or - \(at most 128\)/],
      [['set', '1ABC'], VALUE, /"1ABC" is not a secret name/],
      [['set', 'x'.repeat(129)], VALUE, /is not a secret name/],
      [['remove', 'bad/name'], '', /"bad\/name" is not a secret name/],
      [['set', 'API_KEY', VALUE], '', /secret set needs the NAME of the secret \(and its value on stdin or at the prompt, never as an argument\)/],
      [['set', 'API_KEY'], '', /the value is empty; type it at the prompt, or pipe it in/],
      [['set', 'API_KEY'], '\n', /the value is empty/],
      [['set', 'API_KEY', '--json'], VALUE, /--json belongs to "secret list"/],
      [['list', 'extra'], '', /secret list takes no arguments/],
      [['rotate', 'API_KEY'], '', /unknown secret action "rotate"; use set, list or remove/],
      [[], '', /secret needs an action: set, list or remove/],
    ];
    for (const [args, input, message] of cases) {
      const refused = await secret(args, input);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr).toMatch(message);
      expect(refused.stderr).not.toContain(VALUE);
    }
    expect(existsSync(join(home.root, 'secrets.json'))).toBe(false);
  });

  it('refuses a value over the limit without quoting it', async () => {
    const refused = await secret(['set', 'BIG'], 'v'.repeat(65_537));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('udf-studio: the value is over 65536 bytes\nRun "udf-studio help" for the commands and their options.\n');
  });

  it('reports a secrets.json broken by hand without quoting it', async () => {
    home.write({ 'secrets.json': `{"secrets": {"A": "${VALUE}` });
    const broken = await runCli(['secret', 'list'], home.env);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toBe(`udf-studio: UDF_ERR_SECRETS_FILE: ${join(home.root, 'secrets.json')} is not valid JSON; fix it, or remove it and set the secrets again\n`);
  });

  it('asks in a terminal without echoing what is typed', async () => {
    const typed = await typedInTerminal('TYPED', `${VALUE}\r`);
    expect(typed.code).toBe(0);
    expect(typed.screen).toContain('value of TYPED (not shown): ');
    expect(typed.screen).toContain('set secret TYPED');
    expect(typed.screen).not.toContain(VALUE);
    expect(stored()).toEqual({ secrets: { TYPED: VALUE } });

    // Backspace takes back a character; arrow keys are not part of the value.
    const edited = await typedInTerminal('EDITED', 'abcX\u007f\u001b[Dd\r');
    expect(edited.code).toBe(0);
    expect(stored()).toEqual({ secrets: { EDITED: 'abcd', TYPED: VALUE } });

    const cancelled = await typedInTerminal('CANCELLED', 'half-typed\u0003');
    expect(cancelled.code).toBe(130);
    expect(cancelled.screen).toContain('cancelled; no secret was set');
    expect(cancelled.screen).not.toContain('half-typed');
    expect(stored()).toEqual({ secrets: { EDITED: 'abcd', TYPED: VALUE } });
  }, 60_000);

  it('a UDF run after "secret set" reads the secret; before, it fails with a KeyError that says how to set it', async () => {
    const code = [
      'import hashlib',
      '',
      '@fused.udf',
      'def udf():',
      '    key = fused.secrets["API_KEY"]',
      '    return hashlib.sha256(key.encode()).hexdigest()',
      '',
    ].join('\n');
    const folder = home.write({ 'ws/Uses_Secret/meta.json': metaJson('Uses_Secret'), 'ws/Uses_Secret/Uses_Secret.py': code });
    const target = join(folder, '..');

    const missing = await runCli(['run', target], home.env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("SecretNotFoundError: no secret named 'API_KEY'; set it with: udf-studio secret set API_KEY");
    expect(missing.stderr).toContain('line 5');

    expect((await secret(['set', 'API_KEY'], VALUE)).code).toBe(0);
    const seen = await runCli(['run', target], home.env);
    expect(seen.code, seen.stderr).toBe(0);
    expect(seen.stdout.toString().trim()).toBe(createHash('sha256').update(VALUE).digest('hex'));
    expect(seen.stdout.toString() + seen.stderr).not.toContain(VALUE);
  }, 120_000);
});
