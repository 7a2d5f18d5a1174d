/**
 * The configured Dask clusters: a name and a scheduler address each (`tcp://HOST:PORT`), in the
 * home's `clusters.json` (written atomically). Python reads the same file to tell a cluster's name
 * from an engine name in `fused.submit(..., engine=NAME)`.
 */

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ClusterConfig } from '../../../src-shared/clusters.js';
import { udfError } from '../../../src-shared/errors.js';

/** Names that work as a CLI argument, a URL segment and a Python `engine=` value. */
const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;
/** Engine names `fused.run` already gives a meaning; a cluster cannot take them. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['local', 'remote', 'realtime', 'batch', 'small', 'medium', 'large']);
const SCHEMES = new Set(['tcp:', 'tls:']);

export type { ClusterConfig };

/** Reads and changes `clusters.json`. Every read goes to the disk, so CLI changes show in a running server. */
export class ClusterStore {
  constructor(private readonly path: string) {}

  list(): ClusterConfig[] {
    if (!existsSync(this.path)) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (error) {
      throw udfError('UDF_ERR_CLUSTER_CONFIG', `${this.path} is not valid JSON (${(error as Error).message}); fix it or remove it and add the clusters again`, { file: this.path });
    }
    const clusters = (parsed as { clusters?: unknown } | null)?.clusters;
    if (!Array.isArray(clusters)) throw udfError('UDF_ERR_CLUSTER_CONFIG', `${this.path} must hold {"clusters": [...]}`, { file: this.path });
    return clusters.map((entry, index) => {
      const cluster = entry as Partial<ClusterConfig> | null;
      if (typeof cluster?.name !== 'string' || typeof cluster.address !== 'string') {
        throw udfError('UDF_ERR_CLUSTER_CONFIG', `${this.path}: clusters[${index}] needs "name" and "address" strings`, { file: this.path });
      }
      return { name: cluster.name, address: cluster.address };
    });
  }

  /** The cluster called `name`; an unknown name is UDF_ERR_CLUSTER_UNKNOWN listing the known ones. */
  get(name: string): ClusterConfig {
    const clusters = this.list();
    const found = clusters.find((cluster) => cluster.name === name);
    if (!found) {
      const known = clusters.map((cluster) => cluster.name);
      throw udfError('UDF_ERR_CLUSTER_UNKNOWN', `no Dask cluster named "${name}"${known.length ? `; configured: ${known.join(', ')}` : '; add one with: udf-studio cluster add NAME tcp://HOST:PORT'}`);
    }
    return found;
  }

  /** Adds a cluster, checking its name and address; a name already in use is an error. */
  add(name: string, address: string): ClusterConfig {
    const cluster = checkCluster(name, address);
    const clusters = this.list();
    if (clusters.some((existing) => existing.name === name)) throw udfError('UDF_ERR_USAGE', `a cluster named "${name}" already exists; remove it first`);
    this.write([...clusters, cluster]);
    return cluster;
  }

  /** Removes a cluster; an unknown name is an error. */
  remove(name: string): void {
    const clusters = this.list();
    if (!clusters.some((cluster) => cluster.name === name)) this.get(name);
    this.write(clusters.filter((cluster) => cluster.name !== name));
  }

  private write(clusters: ClusterConfig[]): void {
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      writeFileSync(temporary, `${JSON.stringify({ clusters }, null, 2)}\n`);
      renameSync(temporary, this.path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
  }
}

/** Checks a cluster's name and scheduler address, and normalises the address. */
export function checkCluster(name: string, address: string): ClusterConfig {
  if (!NAME_PATTERN.test(name)) throw udfError('UDF_ERR_USAGE', `"${name}" is not a usable cluster name: start with a letter, then letters, digits, _ or - (at most 40)`);
  if (RESERVED_NAMES.has(name)) throw udfError('UDF_ERR_USAGE', `"${name}" is an engine name already (${[...RESERVED_NAMES].join(', ')}); pick another cluster name`);
  let parsed: URL;
  try {
    // HOST:PORT alone is what Dask prints too: the scheme is tcp.
    parsed = new URL(/^[a-z]+:\/\//i.test(address) ? address : `tcp://${address}`);
  } catch {
    throw udfError('UDF_ERR_USAGE', `"${address}" is not a scheduler address; give it as tcp://HOST:PORT, e.g. tcp://10.0.0.7:8786`);
  }
  if (!SCHEMES.has(parsed.protocol)) throw udfError('UDF_ERR_USAGE', `the scheduler address must start with tcp:// (or tls://), got "${address}"`);
  if (!parsed.hostname) throw udfError('UDF_ERR_USAGE', `the scheduler address "${address}" has no host`);
  if (!parsed.port) throw udfError('UDF_ERR_USAGE', `the scheduler address "${address}" needs a port, e.g. tcp://${parsed.hostname}:8786`);
  if (parsed.username || parsed.password || parsed.search || parsed.hash || (parsed.pathname !== '' && parsed.pathname !== '/')) {
    throw udfError('UDF_ERR_USAGE', `the scheduler address must be only tcp://HOST:PORT, got "${address}"`);
  }
  return { name, address: `${parsed.protocol}//${parsed.host}` };
}
