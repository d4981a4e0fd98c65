/**
 * `down`: the supervisor stops its children in reverse start order; anything still alive
 * afterwards (the supervisor was killed, or a child ignored SIGTERM) is ended here by PID,
 * and the result is checked against every PID and process group in state.json.
 */
import { groupMembers, isAlive, signalGroup, signalPid } from './processes.js';
import { waitFor } from '../lib/retry.js';
import { readState, type ClusterState } from './state.js';

/** Longer than the supervisor's own worst case (services, Sentinels, Redis, RabbitMQ graces). */
const SUPERVISOR_STOP_MS = 90_000;
const ORPHAN_GRACE_MS = 5000;

function leftovers(state: ClusterState): string[] {
  const alive = state.components
    .filter((c) => c.pid > 0 && (isAlive(c.pid) || groupMembers(c.pid).length > 0))
    .map((c) => `${c.name} (${c.pid})`);
  if (isAlive(state.supervisorPid)) alive.push(`supervisor (${state.supervisorPid})`);
  return alive;
}

/** Returns the names of processes that could not be stopped (empty on success). */
export async function down(dir: string): Promise<{ state: ClusterState | undefined; left: string[] }> {
  const initial = readState(dir);
  if (initial === undefined) return { state: undefined, left: [] };
  if (isAlive(initial.supervisorPid)) {
    signalPid(initial.supervisorPid, 'SIGTERM');
    if (!(await waitFor(() => !isAlive(initial.supervisorPid), SUPERVISOR_STOP_MS, 200))) {
      signalPid(initial.supervisorPid, 'SIGKILL');
    }
  }
  // The supervisor's last word on which PIDs it ran (it rewrites state.json on each restart).
  const state = readState(dir) ?? initial;
  const pids = [
    ...new Set([...initial.components, ...state.components].map((c) => c.pid).filter((p) => p > 0)),
  ];
  const orphans = pids.filter((pid) => isAlive(pid) || groupMembers(pid).length > 0);
  for (const pid of orphans) signalGroup(pid, 'SIGTERM');
  const gone = (): boolean => orphans.every((pid) => groupMembers(pid).length === 0 && !isAlive(pid));
  if (!(await waitFor(gone, ORPHAN_GRACE_MS, 100))) {
    for (const pid of orphans) signalGroup(pid, 'SIGKILL');
    await waitFor(gone, ORPHAN_GRACE_MS, 100);
  }
  return { state, left: [...new Set([...leftovers(initial), ...leftovers(state)])] };
}
