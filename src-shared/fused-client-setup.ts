/**
 * The lines that point an existing install of the official `fused` client (PyPI `fused`) at a UDF
 * Studio engine: the private token in the two environment variables the client reads, then the
 * engine's URL as a custom deployment (`fused._env`, which also derives the shared-token base).
 */

/** Where the private token comes from: given as is (the CLI), or read from the credentials file. */
export type TokenSource = { token: string } | { credentialsFile: string };

/** Python lines to paste into a notebook or put at the top of a script. */
export function fusedClientSetup(url: string, source: TokenSource): string {
  const token = 'token' in source
    ? JSON.stringify(source.token)
    : `json.loads(pathlib.Path(${JSON.stringify(source.credentialsFile)}).read_text())["access_token"]`;
  return [
    ...('token' in source ? ['import os', ''] : ['import json', 'import os', 'import pathlib', '']),
    'os.environ["FUSED_AUTH_TOKEN_TYPE"] = "Fused-Env-Bearer"',
    `os.environ["FUSED_AUTH_TOKEN"] = ${token}`,
    '',
    'import fused',
    '',
    `fused._env(${JSON.stringify(url)})`,
    '',
  ].join('\n');
}
