import { describe, expect, it } from 'vitest';
import { ResourceOwner } from '../../src-main/engine/resource-owner.js';

describe('the resource owner', () => {
  it('closes what it owns newest first, each once, and awaits each before the next', async () => {
    const owner = new ResourceOwner();
    const closed: string[] = [];
    owner.own('database', { name: 'db' }, (db) => closed.push(db.name));
    owner.own('workers', 'pool', async (pool) => {
      await Promise.resolve();
      closed.push(pool);
    });
    owner.defer('flag', () => closed.push('flag'));
    const first = owner.close();
    expect(owner.close()).toBe(first);
    await first;
    expect(closed).toEqual(['flag', 'pool', 'db']);
    await owner.close();
    expect(closed).toEqual(['flag', 'pool', 'db']);
  });

  it('carries on past a close that fails, then throws the first failure with its name', async () => {
    const owner = new ResourceOwner();
    const closed: string[] = [];
    owner.defer('database', () => closed.push('database'));
    owner.defer('watcher', () => {
      throw new Error('watch handle gone');
    });
    owner.defer('server', () => Promise.reject(new Error('socket busy')));
    await expect(owner.close()).rejects.toThrow('closing server failed: socket busy');
    expect(closed).toEqual(['database']);
  });

  it('refuses to take anything once it is closed', async () => {
    const owner = new ResourceOwner();
    await owner.close();
    expect(owner.closed).toBe(true);
    expect(() => owner.defer('late timer', () => undefined)).toThrow('cannot take late timer: its owner is closed');
  });
});
