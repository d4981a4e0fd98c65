/**
 * The order service's live figures from every replica, not just the one serving the console
 * (docs/architecture.md, Operations): each replica answers a gather (bus/gather.ts) of
 * `order.metrics` with its instance id and the metric families the console shows, in
 * Prometheus text; GET /admin/metrics gathers them. The console sums the replicas itself,
 * because rates need each replica's own counters at two moments (a replica that missed one
 * window, or restarted, must not read as a drop or a jump).
 */
import type { Gathering } from '../../bus/gather.js';
import type { Metrics } from '../../lib/metrics.js';

export const METRICS_TOPIC = 'order.metrics';

/** The families the console reads: request rates and latency, sagas in flight, stuck, outcomes. */
const FAMILIES = [
  'http_request_duration_seconds',
  'saga_outcomes_total',
  'saga_takeovers_total',
  'sagas_in_flight',
  'sagas_stuck',
] as const;

export interface ReplicaMetrics {
  instance: string;
  /** Prometheus text format, only FAMILIES. */
  metrics: string;
}

/** The family a sample or comment line belongs to, e.g. `x_bucket{...} 3` -> `x`. */
function familyOf(line: string): string {
  const name = line.startsWith('#')
    ? (line.split(' ')[2] ?? '')
    : (/^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? '');
  return name.replace(/_(bucket|count|sum)$/, '');
}

/** Keeps of a Prometheus text only the lines of FAMILIES (the rest is process detail). */
export function consoleFamilies(text: string): string {
  const wanted = new Set<string>(FAMILIES);
  return text
    .split('\n')
    .filter((line) => wanted.has(familyOf(line)))
    .join('\n');
}

/** Makes this replica answer every gather of its metrics, for as long as the bus is open. */
export function answerMetrics(bus: Gathering, instance: string, metrics: Metrics): Promise<void> {
  return bus.answer(METRICS_TOPIC, async () => {
    const answer: ReplicaMetrics = { instance, metrics: consoleFamilies(await metrics.render()) };
    return answer;
  });
}

function isReplicaMetrics(value: unknown): value is ReplicaMetrics {
  if (typeof value !== 'object' || value === null) return false;
  const { instance, metrics } = value as Record<string, unknown>;
  return typeof instance === 'string' && typeof metrics === 'string';
}

/** Every replica that answered within `windowMs`, by instance id; malformed answers dropped. */
export async function gatherMetrics(bus: Gathering, windowMs: number): Promise<ReplicaMetrics[]> {
  const answers = (await bus.gather(METRICS_TOPIC, windowMs)).filter(isReplicaMetrics);
  return answers.sort((a, b) => a.instance.localeCompare(b.instance));
}
