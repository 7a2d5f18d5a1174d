/**
 * A worker and every process its runs start, as one group.
 *
 * Workers are spawned detached, so each leads a session of its own: its subprocesses, their
 * children and those that moved to another process group all carry its session id, which Linux
 * shows in /proc. Elsewhere the worker's process group stands in (a child that changes group
 * escapes it there). Windows has neither; there a worker is one process.
 */

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
 */
export async function descendants(pid: number): Promise<number[]> {
  if (process.platform !== 'linux') return [pid];
  const found = [pid];
  for (let level = [pid]; level.length > 0; ) {
    const children = await Promise.all(level.map(async (parent) => {
      const tasks = await readdir(`/proc/${parent}/task`).catch(() => [] as string[]);
      const texts = await Promise.all(tasks.map((task) => readFile(`/proc/${parent}/task/${task}/children`, 'utf8').catch(() => '')));
      return texts.flatMap((text) => text.split(' ').filter((word) => word.trim() !== '').map(Number));
    }));
    level = children.flat().filter((child) => !found.includes(child));
    found.push(...level);
  }
  return found;
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

function signal(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
