import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterStore } from '../../../src-main/engine/cluster/cluster-config.js';
import { makeTestHome, type TestHome } from '../../helpers/test-home.js';
import { errorWith, textContaining } from '../../helpers/matchers.js';

let home: TestHome;

afterEach(() => home?.remove());

function store(): ClusterStore {
  home = makeTestHome();
  return new ClusterStore(join(home.root, 'clusters.json'));
}

describe('cluster settings', () => {
  it('adds, finds, lists and removes clusters, normalising the scheduler address', () => {
    const clusters = store();
    expect(clusters.list()).toEqual([]);
    clusters.add('lab', 'tcp://10.0.0.7:8786/');
    clusters.add('cloud', 'tls://dask.example.org:8786');
    clusters.add('v6', 'tcp://[::1]:8786');
    clusters.add('bare', '10.0.0.9:8786');
    expect(clusters.list()).toEqual([
      { name: 'lab', address: 'tcp://10.0.0.7:8786' },
      { name: 'cloud', address: 'tls://dask.example.org:8786' },
      { name: 'v6', address: 'tcp://[::1]:8786' },
      { name: 'bare', address: 'tcp://10.0.0.9:8786' },
    ]);
    expect(clusters.get('cloud').address).toBe('tls://dask.example.org:8786');
    clusters.remove('lab');
    expect(clusters.list().map((cluster) => cluster.name)).toEqual(['cloud', 'v6', 'bare']);
  });

  it('refuses bad names, addresses, duplicates and unknown clusters, keeping the file as it was', () => {
    const clusters = store();
    clusters.add('lab', 'tcp://10.0.0.7:8786');
    const before = readFileSync(join(home.root, 'clusters.json'), 'utf8');
    const bad: Array<[() => unknown, RegExp]> = [
      [() => clusters.add('1st', 'tcp://a:1'), /not a usable cluster name/],
      [() => clusters.add('a b', 'tcp://a:1'), /not a usable cluster name/],
      [() => clusters.add('remote', 'tcp://a:1'), /is an engine name already/],
      [() => clusters.add('local', 'tcp://a:1'), /is an engine name already/],
      [() => clusters.add('x', 'not an address'), /not a scheduler address/],
      [() => clusters.add('x', 'http://10.0.0.7:8786'), /must start with tcp:\/\//],
      [() => clusters.add('x', 'tcp://10.0.0.7'), /needs a port/],
      [() => clusters.add('x', 'tcp://10.0.0.7:99999'), /not a scheduler address/],
      [() => clusters.add('x', 'tcp://user:pw@10.0.0.7:8786'), /only tcp:\/\/HOST:PORT/],
      [() => clusters.add('x', 'tcp://10.0.0.7:8786/path'), /only tcp:\/\/HOST:PORT/],
      [() => clusters.add('x', 'tcp://10.0.0.7:8786?a=1'), /only tcp:\/\/HOST:PORT/],
      [() => clusters.add('lab', 'tcp://10.0.0.8:8786'), /already exists/],
      [() => clusters.get('nope'), /no Dask cluster named "nope"; configured: lab/],
      [() => clusters.remove('nope'), /no Dask cluster named "nope"/],
    ];
    for (const [call, message] of bad) expect(call).toThrow(message);
    expect(readFileSync(join(home.root, 'clusters.json'), 'utf8')).toBe(before);
  });

  it('reports a damaged clusters.json with its path instead of losing it', () => {
    const clusters = store();
    const path = join(home.root, 'clusters.json');
    for (const content of ['{not json', '{"clusters": 3}', '{"clusters": [{"name": "a"}]}']) {
      writeFileSync(path, content);
      expect(() => clusters.list()).toThrow(errorWith({ code: 'UDF_ERR_CLUSTER_CONFIG', message: textContaining(path) }));
      expect(() => clusters.add('lab', 'tcp://a:1')).toThrow(/clusters\.json/);
      expect(readFileSync(path, 'utf8')).toBe(content);
    }
  });
});
