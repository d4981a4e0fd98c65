/**
 * Names accepted by `kill` and `restart`: concrete components (`stock-redis-2`, `order-1`), the
 * alias `nginx` for `nginx-1`, and roles resolved through Sentinel at the moment of the call (`stock-redis-master`,
 * `stock-redis-replica`).
 */
import { isAlive } from './processes.js';
import { pairs, redisCall, sentinelMasterPort } from './redis-probe.js';
import type { ClusterPlan, ClusterState, ComponentState } from './state.js';

async function replicaPorts(sentinelPorts: readonly number[], service: string): Promise<number[]> {
  for (const port of sentinelPorts) {
    try {
      const reply = await redisCall(port, ['SENTINEL', 'REPLICAS', service], 500);
      if (!Array.isArray(reply)) continue;
      return reply
        .map(pairs)
        .filter((r) => r.get('flags') === 'slave' && r.get('master-link-status') === 'ok')
        .map((r) => Number(r.get('port')));
    } catch {
      // Ask the next Sentinel.
    }
  }
  return [];
}

export async function resolveTarget(
  name: string,
  state: ClusterState,
  plan: ClusterPlan,
): Promise<ComponentState> {
  const role = /^(order|stock|payment)-redis-(master|replica)$/.exec(name);
  if (role !== null) {
    const [, service = '', which] = role;
    const byPort = (port: number | undefined): ComponentState | undefined =>
      state.components.find((c) => c.kind === 'redis' && c.port === port);
    const masterPort = await sentinelMasterPort(plan.sentinelPorts, service);
    if (which === 'master') {
      const master = byPort(masterPort);
      if (master === undefined) throw new Error(`no Sentinel names a master for ${service}`);
      return master;
    }
    for (const port of await replicaPorts(plan.sentinelPorts, service)) {
      const replica = byPort(port);
      if (replica !== undefined && isAlive(replica.pid)) return replica;
    }
    throw new Error(`no live replica of ${service} found`);
  }
  // `nginx`: the first gateway instance (there are GATEWAY_INSTANCES, nginx-1 ...).
  const wanted = name === 'nginx' ? 'nginx-1' : name;
  const component = state.components.find((c) => c.name === wanted);
  if (component === undefined) throw new Error(`unknown component ${name}`);
  return component;
}
