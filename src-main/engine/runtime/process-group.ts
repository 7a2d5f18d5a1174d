/**
 * A worker and every process its runs start, as one group.
 *
 * Workers are spawned detached, so each leads a session of its own: its subprocesses, their
 * children and those that moved to another process group all carry its session id, which Linux
 * shows in /proc. A process that starts a session of its own (`setsid`) leaves it; on Linux the
 * worker is also a child subreaper (udf_studio_worker/_lifetime.py), so its tree of descendants
 * keeps those, double-forked daemons included: the group is its session and its tree. Elsewhere
 * the worker's process group stands in (a child that changes group escapes it there). Windows has
 * neither; there a worker is one process.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { runCommand } from './command.js';

/** Whether workers get a group of their own here. */
export const GROUPS = process.platform !== 'win32';
/** Kill rounds before giving up: a member being killed may have forked once more meanwhile. */
const KILL_ROUNDS = 20;

/** The live processes (not zombies) of the groups `leaders` lead, by leader, each leader included. */
export async function groupMembers(leaders: readonly number[]): Promise<Map<number, number[]>> {
  const members = new Map(leaders.map((leader) => [leader, [] as number[]]));
  if (!GROUPS || leaders.length === 0) return members;
  if (process.platform === 'linux') {
    const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
    await Promise.all(pids.map(async (pid) => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
      // After the command name, which may hold spaces and parentheses: state ppid pgrp session.
      const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields && fields[0] !== 'Z') members.get(Number(fields[3]))?.push(Number(pid));
    }));
  } else {
    const ps = await runCommand('ps', ['-A', '-o', 'pid=,pgid=,stat=']);
    for (const line of ps.stdout.split('\n')) {
      const [pid, pgid, state] = line.trim().split(/\s+/);
      if (pid && pgid && !state?.startsWith('Z')) members.get(Number(pgid))?.push(Number(pid));
    }
  }
  return members;
}

/**
 * `pid` and the processes descended from it, found cheaply through each thread's children (Linux;
 * elsewhere `pid` alone). A child whose parent died has left the tree: only `groupMembers` finds it.
 * Read synchronously: the pool asks every 100 ms per busy worker, and /proc answers from memory,
 * where each asynchronous read costs four trips through libuv's thread pool (about twice the CPU).
 */
export function descendants(pid: number): number[] {
  if (process.platform !== 'linux') return [pid];
  const found = [pid];
  for (let level = [pid]; level.length > 0; ) {
    const children = level.flatMap((parent) => threadsOf(parent).flatMap((task) => procText(`/proc/${parent}/task/${task}/children`)
      .split(' ').filter((word) => word.trim() !== '').map(Number)));
    level = children.filter((child) => !found.includes(child));
    found.push(...level);
  }
  return found;
}

function threadsOf(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}

/** A /proc file's text, or '' when the process is gone. */
export function procText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Kills the group `leader` leads (the leader first), until none of it is left. */
export async function killGroup(leader: number): Promise<void> {
  if (!GROUPS) return;
  for (let round = 0; round < KILL_ROUNDS; round += 1) {
    signal(-leader);
    const left = (await groupMembers([leader])).get(leader) ?? [];
    if (left.length === 0) return;
    for (const pid of left) signal(pid);
  }
}

/**
 * Kills a live worker with its whole group: its session and every descendant, those that left
 * the session included. The worker is stopped first and killed last: while it lives, as a
 * subreaper, the children of each process killed come to it, so the next round finds them.
 */
export async function killTree(worker: number): Promise<void> {
  if (process.platform !== 'linux') {
    signal(GROUPS ? -worker : worker);
    return;
  }
  signal(worker, 'SIGSTOP');
  try {
    for (let round = 0; round < KILL_ROUNDS; round += 1) {
      const left = treeAndSession(worker, await processTable()).filter((pid) => pid !== worker);
      if (left.length === 0) break;
      for (const pid of left) signal(pid);
    }
  } finally {
    signal(-worker);
    signal(worker);
  }
}

/** A process as /proc shows it: its parent, session and start time (in clock ticks since boot). */
interface ProcessEntry { ppid: number; session: number; start: string }

/** Live processes (not zombies), by pid (Linux). */
async function processTable(): Promise<Map<number, ProcessEntry>> {
  const table = new Map<number, ProcessEntry>();
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  await Promise.all(pids.map(async (pid) => {
    const entry = await processEntry(Number(pid));
    if (entry) table.set(Number(pid), entry);
  }));
  return table;
}

async function processEntry(pid: number): Promise<ProcessEntry | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  // After the command name, which may hold spaces and parentheses: state ppid pgrp session ... starttime (the 20th).
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (!fields || fields[0] === 'Z' || fields[19] === undefined) return null;
  return { ppid: Number(fields[1]), session: Number(fields[3]), start: fields[19] };
}

/** `root`, its session's members and its descendants by parent links. */
function treeAndSession(root: number, table: Map<number, ProcessEntry>): number[] {
  const children = new Map<number, number[]>();
  const found = new Set([root]);
  for (const [pid, entry] of table) {
    const siblings = children.get(entry.ppid);
    if (siblings) siblings.push(pid);
    else children.set(entry.ppid, [pid]);
    if (entry.session === root) found.add(pid);
  }
  for (let level = [root]; level.length > 0; ) {
    level = level.flatMap((parent) => children.get(parent) ?? []).filter((child) => !found.has(child));
    for (const child of level) found.add(child);
  }
  return [...found];
}

/**
 * Processes seen in a worker's group, each with its start time, so that once the worker has died
 * (killed from outside: its orphans went to init) they can still be found and killed, and a pid
 * the system gave to another process since is left alone.
 */
export class SeenProcesses {
  private seen = new Map<number, string>();

  /** Notes `pids` as the group now (a pid seen last time keeps the start time read then). */
  async note(pids: readonly number[]): Promise<void> {
    if (process.platform !== 'linux') return;
    const previous = this.seen;
    const now = new Map<number, string>();
    await Promise.all(pids.map(async (pid) => {
      const start = previous.get(pid) ?? (await processEntry(pid))?.start;
      if (start !== undefined) now.set(pid, start);
    }));
    this.seen = now;
  }

  /** Kills the noted processes that are still the same processes. */
  async kill(): Promise<void> {
    await Promise.all([...this.seen].map(async ([pid, start]) => {
      if ((await processEntry(pid))?.start === start) signal(pid);
    }));
    this.seen.clear();
  }
}

function signal(target: number, name: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(target, name);
  } catch {
    // Already gone.
  }
}
