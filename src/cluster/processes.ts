/**
 * Process facts read from /proc. PID 1 on these machines is not a reaping init, so an orphan
 * that exits can stay a zombie: `kill(pid, 0)` would call it alive. Zombies count as gone here.
 */
import { readdirSync, readFileSync } from 'node:fs';

interface ProcStat {
  pid: number;
  state: string;
  pgid: number;
}

/**
 * The fields of /proc/<pid>/stat after the command name (state first, as field 3), or undefined
 * if the process is gone. The name may contain spaces and parentheses: parse after the last ')'.
 */
export function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function readStat(pid: number): ProcStat | undefined {
  const rest = statFields(pid);
  return rest === undefined ? undefined : { pid, state: rest[0] ?? '?', pgid: Number(rest[2]) };
}

export function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** Live (non-zombie) members of a process group. */
export function groupMembers(pgid: number): number[] {
  if (pgid <= 0) return [];
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.pgid === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(stat.pid);
  }
  return members;
}

/** Sends a signal to a whole process group (every child is spawned as a group leader). */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  if (pgid <= 0) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already empty.
  }
}

export function signalPid(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}
