/**
 * Prometheus metrics (prom-client), one registry per process (per app in tests, so several
 * in-process systems never mix their numbers). Every name is listed in README "Metrics" and
 * charted by deploy/grafana and the /console page: renaming one breaks them.
 *
 * Hot-path cost: observations go to label children bound once (no label hashing per call);
 * counters the bus and the durability barrier already keep are read at scrape time; the
 * stuck-saga gauge asks the store at scrape time only, over a bounded number of records.
 */
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
} from 'prom-client';

/** Seconds, from 0.5 ms to 10 s: the checkout's range from a cached read to a deadline. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Saga durations go up to the deadline and, for compensations, beyond. */
const SAGA_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Commands per AMQP message: powers of two up to the publisher's 500 cap. */
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/** How a step ended: answered ok, refused by the participant, or no answer (deadline, handed off). */
export type StepResult = 'ok' | 'refused' | 'no_answer';
export type TakeoverBy = 'request' | 'sweeper' | 'operator';

/** Counts of unfinished sagas past their deadline, by state, from a bounded store scan. */
export type StuckCounts = Readonly<Record<'RUNNING' | 'ABORTING', number>>;

export interface SagaMetrics {
  /** A saga reached a final state here: outcome committed or aborted, with its reason. */
  finished(outcome: 'committed' | 'aborted', reason: string, seconds: number): void;
  /** A step (its command type: reserve, charge, release, refund) was answered or given up. */
  step(step: string, result: StepResult, seconds: number): void;
  takenOver(by: TakeoverBy): void;
  /** A saga entered compensation (ABORTING) for `reason`. */
  compensating(reason: string): void;
  /** Sagas this process drives right now, read at scrape time. */
  readInFlight(read: () => number): void;
  /** Unfinished sagas past their deadline, computed from the store at scrape time. */
  readStuck(read: () => Promise<StuckCounts>): void;
}

export interface BusMetrics {
  /** A command message was confirmed by the broker `seconds` after it was published. */
  confirmed(participant: string, seconds: number): void;
  published(participant: string, commands: number): void;
}

export interface RedisMetrics {
  /** A script's timer: call the returned function with the seconds it took. */
  script(name: string): (seconds: number) => void;
  /** One WAIT barrier returned after `seconds`. */
  waited(seconds: number): void;
}

export interface Metrics {
  readonly contentType: string;
  render(): Promise<string>;
  /** An HTTP request answered: route is the pattern (`/orders/find/:order_id`), not the URL. */
  request(method: string, route: string, status: number, seconds: number): void;
  saga: SagaMetrics;
  bus: BusMetrics;
  redis: RedisMetrics;
  /** A counter whose value something else keeps (e.g. the bus's stats), read at scrape time. */
  counterFrom(name: string, help: string, read: () => number): void;
}

/**
 * How often the event-loop-lag histogram samples (prom-client's default is 10 ms). Its timer
 * wakes the process at that rate even when it has nothing to do: on this machine's VM an idle
 * process with the default used 0.93 % of a core and ~107 context switches a second, with
 * 100 ms 0.26-0.47 % and ~16, and the idle HA cluster's six service processes went from
 * 5.5 % to 2.1 % of a core (docs/performance.md). A stall that holds the loop past a
 * sample's due time still shows in full.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  // One line per metric: name, help, (buckets), label names; registered in this order.
  const histogram = <L extends string>(name: string, help: string, buckets: number[], labelNames: L[]) =>
    new Histogram<L>({ name, help, labelNames, buckets, registers });
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new Counter<L>({ name, help, labelNames, registers });

  const httpDuration = histogram(
    'http_request_duration_seconds',
    'HTTP requests answered, by route pattern, method and status: latency in seconds.',
    LATENCY_BUCKETS,
    ['method', 'route', 'status'],
  );
  const httpChildren = new Map<string, Histogram.Internal<'method' | 'route' | 'status'>>();

  const outcomes = counter(
    'saga_outcomes_total',
    'Sagas finished by this process, by outcome (committed, aborted) and reason.',
    ['outcome', 'reason'],
  );
  const sagaDuration = histogram(
    'saga_duration_seconds',
    'From the start of a saga (or its takeover) to its final state here, by outcome.',
    SAGA_BUCKETS,
    ['outcome'],
  );
  const stepDuration = histogram(
    'saga_step_duration_seconds',
    'From the first send of a step (reserve, charge, release, refund) to its answer.',
    SAGA_BUCKETS,
    ['step', 'result'],
  );
  const takeovers = counter(
    'saga_takeovers_total',
    'Sagas this process took over: lease expired (noticed by a request or the sweeper) or an operator asked.',
    ['by'],
  );
  const compensations = counter(
    'saga_compensations_total',
    'Sagas that entered compensation (release and refund), by abort reason.',
    ['reason'],
  );
  let inFlight: () => number = () => 0;
  new Gauge({
    name: 'sagas_in_flight',
    help: 'Sagas this process is driving now.',
    registers,
    collect() {
      this.set(inFlight());
    },
  });
  let stuck: (() => Promise<StuckCounts>) | undefined;
  new Gauge({
    name: 'sagas_stuck',
    help: 'Unfinished sagas past their deadline, by state (bounded scan of the store at scrape time).',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      if (stuck === undefined) return;
      const counts = await stuck();
      this.set({ state: 'RUNNING' }, counts.RUNNING);
      this.set({ state: 'ABORTING' }, counts.ABORTING);
    },
  });

  const confirm = histogram(
    'bus_publish_confirm_seconds',
    'From publishing a command message to the broker confirm, by participant queue.',
    LATENCY_BUCKETS,
    ['participant'],
  );
  const perMessage = histogram(
    'bus_commands_per_message',
    'Commands batched into one AMQP message, by participant queue.',
    BATCH_BUCKETS,
    ['participant'],
  );

  const scriptDuration = histogram(
    'redis_script_duration_seconds',
    'Lua script calls, by script: latency in seconds (without the WAIT barrier).',
    LATENCY_BUCKETS,
    ['script'],
  );
  const waitDuration = histogram(
    'redis_wait_duration_seconds',
    'WAIT barriers (one per batch of writes): latency in seconds.',
    LATENCY_BUCKETS,
    [],
  );

  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),

    request(method, route, status, seconds) {
      const key = `${method} ${status} ${route}`;
      let child = httpChildren.get(key);
      if (child === undefined) {
        child = httpDuration.labels(method, route, String(status));
        httpChildren.set(key, child);
      }
      child.observe(seconds);
    },

    saga: {
      finished(outcome, reason, seconds) {
        outcomes.labels(outcome, reason).inc();
        sagaDuration.labels(outcome).observe(seconds);
      },
      step: (step, result, seconds) => stepDuration.labels(step, result).observe(seconds),
      takenOver: (by) => takeovers.labels(by).inc(),
      compensating: (reason) => compensations.labels(reason).inc(),
      readInFlight(read) {
        inFlight = read;
      },
      readStuck(read) {
        stuck = read;
      },
    },

    bus: {
      confirmed: (participant, seconds) => confirm.labels(participant).observe(seconds),
      published: (participant, commands) => perMessage.labels(participant).observe(commands),
    },

    redis: {
      script(name) {
        const child = scriptDuration.labels(name);
        return (seconds) => child.observe(seconds);
      },
      waited: (seconds) => waitDuration.observe(seconds),
    },

    counterFrom(name, help, read) {
      let seen = 0;
      const config: CounterConfiguration<string> = {
        name,
        help,
        registers,
        collect() {
          const value = read();
          // Counters only go up; a source that restarted from 0 starts a new series.
          if (value > seen) this.inc(value - seen);
          seen = value;
        },
      };
      new Counter(config);
    },
  };
}
