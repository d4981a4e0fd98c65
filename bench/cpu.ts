/**
 * CPU and memory of processes read straight from /proc (what `pidusage` does, without the
 * dependency). A process is counted with all its descendants, so RabbitMQ's launcher script
 * includes its Erlang VM, and nginx's master includes its workers. The whole machine's busy
 * time is sampled too: the difference to our processes is what other users of the shared
 * cores took during the run, which says how noisy a figure is.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { statFields } from '../src/cluster/processes.js';

/** Clock ticks per second of utime/stime (USER_HZ); 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

interface Stat {
  ppid: number;
  /** utime + stime, in ticks. */
  ticks: number;
}

function readStat(pid: number): Stat | undefined {
  const rest = statFields(pid);
  return rest === undefined
    ? undefined
    : { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
}

function allStats(): Map<number, Stat> {
  const stats = new Map<number, Stat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat !== undefined) stats.set(Number(entry), stat);
  }
  return stats;
}

/**
 * The pid and its descendants found in `stats`, except subtrees rooted at another measured
 * process (`roots`): a supervisor is charged for itself, not for the components it started.
 */
function family(root: number, stats: ReadonlyMap<number, Stat>, roots: ReadonlySet<number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, stat] of stats) {
    const list = children.get(stat.ppid) ?? [];
    list.push(pid);
    children.set(stat.ppid, list);
  }
  const found: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop() as number; // length checked above
    if (!stats.has(pid)) continue;
    found.push(pid);
    todo.push(...(children.get(pid) ?? []).filter((child) => !roots.has(child)));
  }
  return found;
}

/** Busy and total ticks of the whole machine (all cores) from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

export interface CpuUsage {
  /** Percent of one core over the window, per named process (with its descendants). */
  processes: Record<string, number>;
  /** Percent of one core used by the whole machine (2 cores = up to 200). */
  machine: number;
  /** Machine minus our processes: other users of the shared cores during the run. */
  others: number;
}

/** Per-pid tick counters of the whole family, so a child that exits mid-run still counts. */
type Snapshot = Map<string, Map<number, number>>;

function snapshot(pids: Readonly<Record<string, number>>): Snapshot {
  const stats = allStats();
  const roots = new Set(Object.values(pids));
  const snap: Snapshot = new Map();
  for (const [name, root] of Object.entries(pids)) {
    const ticks = new Map<number, number>();
    for (const pid of family(root, stats, roots)) ticks.set(pid, stats.get(pid)?.ticks ?? 0);
    snap.set(name, ticks);
  }
  return snap;
}

/** CPU ticks of this process's children that exited and were reaped (cutime + cstime). */
function reapedChildTicks(): number {
  const text = readFileSync('/proc/self/stat', 'utf8');
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(rest[13]) + Number(rest[14]);
}

export const GENERATOR = 'load generator';

/**
 * Starts measuring the named processes; the returned function ends the window and answers the
 * usage. A load generator that has exited (and been reaped) by then, like wrk, is counted by
 * what this process's reaped-children counters grew by, reported as `GENERATOR`; one that is
 * still alive is passed in `pids` under that name.
 */
export function startCpu(pids: Readonly<Record<string, number>>): () => CpuUsage {
  const startedAt = process.hrtime.bigint();
  const before = snapshot(pids);
  const childrenBefore = reapedChildTicks();
  const machineBefore = machineTicks();
  return () => {
    const after = snapshot(pids);
    const machineAfter = machineTicks();
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const percent = (ticks: number): number => round1((ticks / TICKS_PER_SECOND / seconds) * 100);
    const processes: Record<string, number> = {};
    for (const [name, ticks] of after) {
      const earlier = before.get(name) ?? new Map<number, number>();
      let used = 0;
      for (const [pid, now] of ticks) used += now - (earlier.get(pid) ?? 0);
      processes[name] = percent(used);
    }
    // A generator still alive (named GENERATOR in `pids`) plus any that exited meanwhile.
    processes[GENERATOR] = (processes[GENERATOR] ?? 0) + percent(reapedChildTicks() - childrenBefore);
    const dTotal = machineAfter.total - machineBefore.total || 1;
    const machine = round1(((machineAfter.busy - machineBefore.busy) / dTotal) * 100 * CORES);
    const ours = Object.values(processes).reduce((a, b) => a + b, 0);
    return { processes, machine, others: round1(Math.max(0, machine - ours)) };
  };
}

/** Percent of one core that the measured processes used, the load generator excepted. */
export function systemCpu(usage: CpuUsage): number {
  return Object.entries(usage.processes)
    .filter(([name]) => name !== GENERATOR)
    .reduce((sum, [, pct]) => sum + pct, 0);
}

const CORES = readdirSync('/sys/devices/system/cpu').filter((d) => /^cpu[0-9]+$/.test(d)).length || 1;

/**
 * Resident set size in MB of a process and its descendants, and the private (anonymous) part
 * of it: RSS also counts the Node binary's and libraries' pages, which all processes share.
 */
export function memoryMb(root: number): { rss: number; anon: number } {
  const stats = allStats();
  let rss = 0;
  let anon = 0;
  for (const pid of family(root, stats, new Set())) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      anon += Number(/^Anonymous:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    } catch {
      // The process exited meanwhile.
    }
  }
  return { rss: round1(rss / 1024), anon: round1(anon / 1024) };
}

export function loadAverage(): [number, number, number] {
  const [a = 0, b = 0, c = 0] = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  return [a, b, c];
}

export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
