/**
 * The two files of a cluster directory: plan.json (what to run, written by `up` before the
 * supervisor starts) and state.json (what runs now, rewritten by the supervisor on each change).
 * Both are written to a temporary file and renamed, so a reader never sees half a file.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SERVICES = ['order', 'stock', 'payment'] as const;
export type ServiceName = (typeof SERVICES)[number];

export type ComponentKind = 'redis' | 'sentinel' | 'rabbitmq' | 'service' | 'nginx';

export interface ComponentSpec {
  name: string;
  kind: ComponentKind;
  port: number;
  command: string;
  args: string[];
  /** The whole environment of the child: nothing is inherited from the supervisor. */
  env: Record<string, string>;
  /** Data directory, also the child's working directory. */
  dir: string;
  log: string;
  /** For redis and service components: the service they belong to. */
  service?: ServiceName;
  /** Start order: every component of a stage is healthy before the next stage starts. */
  stage: number;
}

export interface ClusterPlan {
  dir: string;
  gatewayPort: number;
  sentinelPorts: number[];
  sentinelDownAfterMs: number;
  sentinelFailoverTimeoutMs: number;
  readyTimeoutMs: number;
  components: ComponentSpec[];
}

export type Phase = 'starting' | 'ready' | 'failed' | 'stopping' | 'stopped';

export interface ComponentState {
  name: string;
  kind: ComponentKind;
  /** 0 while the component is down between a crash and its restart. */
  pid: number;
  port: number;
  log: string;
  restarts: number;
}

export interface ClusterState {
  supervisorPid: number;
  gatewayPort: number;
  phase: Phase;
  error?: string;
  /** While starting: what the supervisor waits for now, so `up` can show its progress. */
  waiting?: string;
  components: ComponentState[];
}

export const planFile = (dir: string): string => join(dir, 'plan.json');
export const stateFile = (dir: string): string => join(dir, 'state.json');

function writeAtomically(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  // 0600: the plan holds the services' environment, credentials included.
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

export function writePlan(plan: ClusterPlan): void {
  writeAtomically(planFile(plan.dir), plan);
}

export function readPlan(dir: string): ClusterPlan {
  return JSON.parse(readFileSync(planFile(dir), 'utf8')) as ClusterPlan;
}

export function writeState(dir: string, state: ClusterState): void {
  writeAtomically(stateFile(dir), state);
}

export function readState(dir: string): ClusterState | undefined {
  if (!existsSync(stateFile(dir))) return undefined;
  return JSON.parse(readFileSync(stateFile(dir), 'utf8')) as ClusterState;
}
