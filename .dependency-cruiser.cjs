/**
 * The layers of the TypeScript trees, as contracts `npm run lint` checks (dependency-cruiser).
 *
 * By process: src-shared (pure contracts) ← src-main/engine (plain Node) ← the front ends
 * (src-main/cli, src-main/electron, bench); the window (src-renderer) sees only src-shared.
 * Inside the engine, from the bottom up:
 *   base       home, resources, settings, account, resource-owner, store/, events/, desktop/, secrets/
 *   parts      runtime/, cache/, workspace/, tokens/, files/, cluster/, remote/, qgis/,
 *              engine-run.ts, shared-runs.ts
 *   engine     engine.ts, jobs/ (jobs get the run function injected; they name runs by engine-run.ts),
 *              export/ (exports are jobs; the engine's parts they use are injected)
 *   server     server/ (routes are registered by http-server.ts and never import each other)
 * A module imports its own layer or lower ones. Type-only imports count: a cycle of types is still
 * a cycle a reader has to untangle.
 */

const ENGINE = '^src-main/engine/';
const BASE = `${ENGINE}(home|resources|settings|account|resource-owner)\\.ts$|${ENGINE}(store|events|desktop|secrets)/`;
const PARTS = `${ENGINE}(runtime|cache|workspace|tokens|files|cluster|remote|qgis)/|${ENGINE}(engine-run|shared-runs)\\.ts$`;
const ENGINE_CORE = `${ENGINE}engine\\.ts$|${ENGINE}(jobs|export)/`;
const SERVER = `${ENGINE}server/`;
const FRONT_ENDS = '^src-main/(cli|electron)/|^src-main/cli\\.ts$|^bench/|^bin/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, type-only ones included: move the shared types down a layer or inject the dependency.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'Every import resolves (a typo or a missing package). Svelte\'s compiled output imports its runtime by package exports that the resolver does not read.',
      from: {},
      to: { couldNotResolve: true, pathNot: '^svelte/internal/' },
    },
    {
      name: 'shared-is-pure',
      severity: 'error',
      comment: 'src-shared is read by the engine and the window alike: no Node, no DOM packages, nothing from the other trees.',
      from: { path: '^src-shared/' },
      to: { pathNot: '^src-shared/' },
    },
    {
      name: 'engine-never-imports-electron',
      severity: 'error',
      comment: 'The engine runs headless (serve, the CLI, the tests): only the desktop shell imports Electron.',
      from: { path: '^src-main/', pathNot: '^src-main/electron/' },
      to: { path: '^electron$|^node_modules/electron/' },
    },
    {
      name: 'engine-below-front-ends',
      severity: 'error',
      comment: 'The CLI, the desktop shell and the benchmarks drive the engine; the engine never imports them.',
      from: { path: ENGINE },
      to: { path: FRONT_ENDS },
    },
    {
      name: 'cli-not-shell',
      severity: 'error',
      comment: 'The CLI works without Electron, so it never imports the desktop shell.',
      from: { path: '^src-main/cli/|^src-main/cli\\.ts$' },
      to: { path: '^src-main/electron/' },
    },
    {
      name: 'main-not-renderer',
      severity: 'error',
      comment: 'The window reaches the engine over HTTP only; the engine serves its built files, never its sources.',
      from: { path: '^src-main/|^bench/|^bin/' },
      to: { path: '^src-renderer/' },
    },
    {
      name: 'renderer-is-a-browser-page',
      severity: 'error',
      comment: 'The window runs in a browser: src-shared and packages, no Node modules, nothing from src-main.',
      from: { path: '^src-renderer/src/' },
      to: { path: '^src-main/|^bench/|^bin/|^test/' },
    },
    {
      name: 'renderer-no-node-builtins',
      severity: 'error',
      comment: 'The window runs in a browser: no Node built-in modules.',
      from: { path: '^src-renderer/src/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'sources-not-tests',
      severity: 'error',
      comment: 'Shipped code never imports tests or benchmarks.',
      from: { path: '^src-' },
      to: { path: '^test/|^bench/' },
    },
    {
      name: 'engine-base-is-the-bottom',
      severity: 'error',
      comment: 'The base layer (home, settings, store, events, ...) imports no other part of the engine.',
      from: { path: BASE },
      to: { path: `${PARTS}|${ENGINE_CORE}|${SERVER}` },
    },
    {
      name: 'engine-parts-below-engine',
      severity: 'error',
      comment: 'The engine\'s parts (runtime, cache, workspace, remote, ...) never import engine.ts, jobs or the server: they get what they need injected.',
      from: { path: PARTS },
      to: { path: `${ENGINE_CORE}|${SERVER}` },
    },
    {
      name: 'engine-below-server',
      severity: 'error',
      comment: 'engine.ts and jobs/ never import the HTTP server.',
      from: { path: ENGINE_CORE },
      to: { path: SERVER },
    },
    {
      name: 'routes-registered-by-http-server',
      severity: 'error',
      comment: 'Route modules are reached through the router only.',
      from: { path: '^src-main/', pathNot: `^src-main/engine/server/http-server\\.ts$|${SERVER}routes/` },
      to: { path: `${SERVER}routes/` },
    },
    {
      name: 'routes-independent',
      severity: 'error',
      comment: 'A route module never imports another one\'s internals: what two share lives in server/. ' +
        'Exception to shrink: code-run-routes.ts uses run-routes.ts\'s tileOf, engineRunFor and PRIVATE_BASE ' +
        '(move them to a server/ module when run-routes.ts is not being edited elsewhere).',
      from: { path: `${SERVER}routes/(.+)`, pathNot: `${SERVER}routes/code-run-routes\\.ts$` },
      to: { path: `${SERVER}routes/`, pathNot: `${SERVER}routes/$1$` },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.test.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.cts', '.js', '.cjs', '.mjs', '.svelte', '.d.ts', '.json'],
    },
  },
};
