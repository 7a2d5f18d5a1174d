#!/usr/bin/env node
// `npm start`: build only what changed since the last build (build-if-stale.js), then start the
// app, in this one Node process so a start with nothing to build pays for one Node start-up.
import { buildStale } from './build-if-stale.js';

const code = buildStale();
if (code !== 0) process.exit(code);
await import('../dist/src-main/electron/launch.js');
