/**
 * The workspace as Fused's store of saved UDFs: every runnable UDF folder with its id, found by id
 * or by name within a collection, and its record as Fused's `/udf/...` routes answer it.
 *
 * Collections are collection folders (a folder with collection.json inside a workspace folder); a
 * collection's id is its name. `default`, which the official client sends whenever no collection
 * is named, is the whole workspace, searched as every other name lookup is (folder names, then UDF
 * names, in workspace order); UDFs outside collection folders belong to it, and new ones go to the
 * first workspace folder.
 */

import { udfError } from '../../../src-shared/errors.js';
import { contentHash, udfBodyOf, type UdfBody } from '../remote/udf-body.js';
import type { UdfIds } from './udf-ids.js';
import type { Workspace, WorkspaceUdf } from './workspace.js';

export const DEFAULT_COLLECTION = 'default';

/** What the lookups need: the engine's workspace and ids. */
export interface SavedUdfStore {
  readonly workspace: Workspace;
  readonly udfIds: UdfIds;
}

/** A runnable UDF folder and its id (`fused:id`, else the one this engine gave its folder). */
export interface SavedUdf {
  id: string;
  udf: WorkspaceUdf;
}

/** A saved UDF as Fused's storage routes answer it (`udf_body` is a JSON string, as Fused sends it). */
export interface UdfRecord {
  id: string;
  slug: string;
  udf_body: string;
  content_hash: string;
  collection_id: string;
  collection_name: string;
}

/** Every runnable UDF of the workspace with its id. */
export function listSaved(store: SavedUdfStore): SavedUdf[] {
  return store.workspace.list().flatMap((entry) => (entry.kind === 'udf' ? [{ id: store.udfIds.idFor(entry), udf: entry }] : []));
}

/** The UDF with this id; 404 for an unknown id. */
export function savedById(store: SavedUdfStore, id: string): SavedUdf {
  const found = listSaved(store).find((entry) => entry.id === id);
  if (!found) throw udfError('UDF_ERR_NOT_FOUND', `no UDF with id ${id}`);
  return found;
}

/** The UDF named `name` in `collection` (`default`: anywhere in the workspace); 404 with a sentence. */
export function savedByName(store: SavedUdfStore, name: string, collection: string = DEFAULT_COLLECTION): SavedUdf {
  const udf = collection === DEFAULT_COLLECTION ? store.workspace.resolveName(name) : store.workspace.resolveInCollection(name, collection);
  return { id: store.udfIds.idFor(udf), udf };
}

/** The folder a new UDF of `collection` is written into; 404 for a collection with no folder. */
export function folderForCollection(workspace: Workspace, collection: string): string {
  if (collection === DEFAULT_COLLECTION) return workspace.folders[0] as string;
  const dir = workspace.collectionDirs(collection)[0];
  if (!dir) throw udfError('UDF_ERR_NOT_FOUND', `there is no collection "${collection}": make a folder with a collection.json file in ${workspace.folders[0] as string}`);
  return dir;
}

/** The collection a UDF belongs to: its collection folder's name, else `default`. */
export function collectionOf(udf: WorkspaceUdf): string {
  return udf.collection ?? DEFAULT_COLLECTION;
}

/** The record the storage and lookup routes answer, which the official client loads a UDF from. */
export function udfRecord(saved: SavedUdf): UdfRecord {
  const body: UdfBody = udfBodyOf(saved.udf);
  const collection = collectionOf(saved.udf);
  return {
    id: saved.id,
    slug: saved.udf.name,
    udf_body: JSON.stringify(body),
    content_hash: contentHash(body),
    collection_id: collection,
    collection_name: collection,
  };
}
