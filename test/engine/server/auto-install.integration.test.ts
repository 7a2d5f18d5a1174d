import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineEvent } from '../../../src-main/engine/events/engine-events.js';
import { startEngineServer, type EngineServer } from '../../../src-main/engine/server/engine-server.js';
import { makeLayeredRuntime, type LayeredRuntime } from '../../helpers/layered-runtime.js';
import { bearer, request } from '../../helpers/server.js';
import { makeTestHome, metaJson, type TestHome } from '../../helpers/test-home.js';
import { textMatching } from '../../helpers/matchers.js';

// The auto-install setting end to end: a served UDF imports utm, which the runtime lacks and
// Fused's image has (0.8.1). Installs land in a layer over the real runtime, which never changes.
let layer: LayeredRuntime;
let home: TestHome;
let server: EngineServer;
const events: EngineEvent[] = [];
const RUN = '/server/v1/realtime/local/api/v1/run/udf/saved/me/Needs_Utm?format=json';

beforeAll(async () => {
  layer = await makeLayeredRuntime();
  home = makeTestHome('udf-studio-auto-install-');
  home.write({
    'udfs/Needs_Utm/meta.json': metaJson('Needs_Utm'),
    'udfs/Needs_Utm/Needs_Utm.py': '@fused.udf\ndef udf():\n    import utm\n    return {"zone": utm.from_latlon(48.858, 2.294)[2]}\n',
  });
  server = await startEngineServer({ env: { ...home.env, UDF_STUDIO_RUNTIME: layer.dir }, workspaces: [join(home.root, 'udfs')], port: 0, poolSize: 1, preload: [] });
  server.events.subscribe((event) => events.push(event));
});
afterAll(async () => {
  await server.close();
  layer.remove();
  home.remove();
});

describe('the auto-install setting', () => {
  it('off (the default): the run fails naming the package and Fused\'s version', async () => {
    const response = await request(server.url, RUN, { headers: bearer(server) });
    expect(response.status).toBe(422);
    expect(response.json()).toMatchObject({ error: { code: 'UDF_ERR_MISSING_PACKAGE', message: textMatching(/Fused's image has utm==0\.8\.1/) } });
  });

  it('on: the package installs itself, the same run succeeds, and the window hears of it', async () => {
    writeFileSync(join(home.root, 'settings.json'), JSON.stringify({ autoInstallPackages: true }));
    const response = await request(server.url, RUN, { headers: bearer(server) });
    expect(response.status, response.text).toBe(200);
    expect(response.json()).toEqual({ zone: 31 });
    const notes = events.flatMap((event) => (event.type === 'runtime' && event.line?.startsWith('packages: ') ? [event.line] : []));
    expect(notes).toEqual(['packages: installing utm==0.8.1', 'packages: installed utm==0.8.1']);
  }, 120_000);
});
