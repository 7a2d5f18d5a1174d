/**
 * A tile URL to paste into QGIS or Leaflet for a workspace UDF: a new shared token for it, as the
 * window's "Copy Tile URL" gives it.
 */

import type { TokenStore } from './token-store.js';
import type { Workspace } from '../workspace/workspace.js';

/** Makes a shared token for the UDF named `name` (UDF_ERR_NOT_FOUND when there is none) and returns its XYZ URL. */
export function createTileUrl(workspace: Workspace, tokens: TokenStore, serverUrl: string, name: string): string {
  const udf = workspace.resolveName(name);
  const { token } = tokens.create({ udfSlug: udf.name, metadata: { created_by: 'copy tile url' } });
  return `${serverUrl}/${token}/run/tiles/{z}/{x}/{y}`;
}
