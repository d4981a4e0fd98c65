/**
 * Which environment variables of src/lib/config.ts the deployments (compose, Kubernetes, Helm)
 * must give the services. Every variable loadConfig reads has to be in exactly one list below,
 * so a variable added to config.ts fails the deployment tests until someone decides how the
 * deployments set it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Set by every deployment, with the values `npm run cluster` uses (PORT/HOST for containers). */
export const SET_BY_DEPLOYMENT = [
  'PORT',
  'HOST',
  'INSTANCE_ID',
  'LOG_LEVEL',
  'REDIS_SENTINELS',
  'REDIS_MASTER_NAME',
  'REDIS_WAIT_REPLICAS',
  'AMQP_URL',
  // Each service's own ACL user on its Redis, and the user it asks the Sentinels as.
  'REDIS_USERNAME',
  'REDIS_PASSWORD',
  'REDIS_SENTINEL_USERNAME',
  'REDIS_SENTINEL_PASSWORD',
] as const;

/**
 * Set on the order service only: the bearer token of its operator API and console (/admin/,
 * /console). config.ts reads it in a helper of loadConfig, hence not found by
 * serviceConfigVariables; the deployment tests check it is there for order and nowhere else.
 */
export const ORDER_ONLY = ['ADMIN_TOKEN'] as const;

/**
 * Tuning left to config.ts's defaults unless the operator sets it: compose passes these through
 * from the shell (as `npm run cluster` does with SAGA_* and the TTLs); Helm takes them in `env`.
 */
export const TUNABLE = [
  'COMMAND_TTL_MS',
  'RECORD_TTL_MS',
  'REDIS_WAIT_TIMEOUT_MS',
  'SAGA_LEASE_MS',
  'SAGA_ATTEMPT_MS',
  'SAGA_DEADLINE_MS',
  'SAGA_SWEEP_MS',
  'SAGA_RETRY_MAX_MS',
  'AMQP_PREFETCH',
  'AMQP_BATCHES_IN_FLIGHT',
] as const;

/** Deliberately left at their defaults by the distributed deployments, with the reason. */
export const LEFT_AT_DEFAULT: Readonly<Record<string, string>> = {
  DATA_DIR: 'embedded SQLite store only (npm start)',
  REDIS_URL: 'the services find their master through REDIS_SENTINELS',
  REDIS_PREFIX: 'each service has its own Redis group',
  AMQP_QUEUE_PREFIX: 'the broker is private to the deployment; the default prefix is fine',
  REDIS_WAIT_MAX_MS: 'the bounded wait for replicas before a 503: the default suits every deployment',
  AMQP_QUEUE_TYPE: 'compose and Helm run a three-node broker: quorum queues (the default) replicate',
  AMQP_SINGLE_ACTIVE_CONSUMER:
    'compose and Helm spread replicas over machines, where every active replica adds capacity; ' +
    'npm run cluster (one machine) turns it on',
  ORDER_MAX_LINES: 'a documented limit of the API: the same in every deployment',
  ORDER_MAX_QUANTITY: 'a documented limit of the API: the same in every deployment',
};

/** Names loadConfig (the services' configuration, not the cluster's) reads from the environment. */
export function serviceConfigVariables(repoRoot: string): string[] {
  const source = readFileSync(join(repoRoot, 'src', 'lib', 'config.ts'), 'utf8');
  const start = source.indexOf('export function loadConfig(');
  if (start < 0) throw new Error('loadConfig not found in src/lib/config.ts');
  const end = source.indexOf('\n}\n', start);
  const body = source.slice(start, end < 0 ? undefined : end);
  const names = new Set<string>();
  for (const match of body.matchAll(/\b(?:int|str|bool)\(env, '([A-Z0-9_]+)'/g)) names.add(match[1] ?? '');
  for (const match of body.matchAll(/\benv\['([A-Z0-9_]+)'\]/g)) names.add(match[1] ?? '');
  names.delete('');
  return [...names].sort();
}
