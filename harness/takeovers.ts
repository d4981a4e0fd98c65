/**
 * Saga takeovers during a chaos run, from the order replicas' own `saga_takeovers_total`
 * counters (each replica's port: the gateway refuses /metrics). A replica killed mid-run comes
 * back with its counters at 0, so the run is scraped every `intervalMs`, not only before and
 * after: what a replica counted until the last scrape before its kill stays counted, and after a
 * reset (a new process start time, or a value lower than the previous one) it counts from 0.
 * Takeovers between that last scrape and the kill are missed: at most `intervalMs` of them.
 */

const COUNTER = 'saga_takeovers_total';
const START = 'process_start_time_seconds';

/** One scrape of one replica: its process start time and the counter's value per label set. */
export interface CounterSample {
  start: number;
  values: Record<string, number>;
}

/** One replica's counted increase so far, and the sample it was counted up to. */
export interface CounterTrack {
  last: CounterSample | undefined;
  total: number;
}

/**
 * Reads a counter's series (takeovers unless named) and the process start time out of a
 * Prometheus text exposition.
 */
export function parseSample(text: string, counter = COUNTER): CounterSample {
  const sample: CounterSample = { start: Number.NaN, values: {} };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    if (space <= 0) continue;
    const series = line.slice(0, space);
    const value = Number(line.slice(space + 1));
    if (series === START) sample.start = value;
    else if (series === counter || series.startsWith(`${counter}{`)) sample.values[series] = value;
  }
  return sample;
}

/**
 * Counts what happened between the track's last sample and `next`. Without a last sample (the
 * baseline before the run) nothing is counted. A series missing from a scrape is 0: prom-client
 * shows a label set only once it was incremented, so a restarted replica lacks some.
 */
export function advance(track: CounterTrack, next: CounterSample): void {
  const last = track.last;
  track.last = next;
  if (last === undefined) return;
  const restarted = !Number.isNaN(last.start) && !Number.isNaN(next.start) && next.start !== last.start;
  for (const series of new Set([...Object.keys(last.values), ...Object.keys(next.values)])) {
    const before = restarted ? 0 : (last.values[series] ?? 0);
    const now = next.values[series] ?? 0;
    // Lower than before: the process restarted between two scrapes; it counted `now` since.
    track.total += now >= before ? now - before : now;
  }
}

export interface Replica {
  name: string;
  port: number;
}

async function scrape(port: number): Promise<CounterSample | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) });
    if (response.status !== 200) return undefined;
    return parseSample(await response.text());
  } catch {
    // Down (killed, paused, restarting): its next scrape tells what it counted meanwhile.
    return undefined;
  }
}

export interface TakeoverWatch {
  /** Scrapes a last time, stops, and answers the takeovers counted since the watch began. */
  stop(): Promise<number>;
}

/**
 * Scrapes `replicas()` (read again each time: a restart keeps the port, but stay honest) now
 * as the baseline, then every `intervalMs` until stop(). A replica missing from the baseline
 * scrape counts from 0 when it first answers (it started during the run).
 */
export async function watchTakeovers(replicas: () => Replica[], intervalMs = 500): Promise<TakeoverWatch> {
  const tracks = new Map<string, CounterTrack>();
  const scrapeAll = async (): Promise<void> => {
    await Promise.all(
      replicas().map(async ({ name, port }) => {
        const sample = await scrape(port);
        if (sample === undefined) return;
        const track = tracks.get(name) ?? { last: { start: Number.NaN, values: {} }, total: 0 };
        tracks.set(name, track);
        advance(track, sample);
      }),
    );
  };
  const baseline = async (): Promise<void> => {
    for (const { name, port } of replicas()) {
      const sample = await scrape(port);
      if (sample !== undefined) tracks.set(name, { last: sample, total: 0 });
    }
  };
  await baseline();
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    // One scrape round at a time: a stalled replica must not pile requests up.
    running ??= scrapeAll().finally(() => (running = undefined));
  }, intervalMs);
  // A run that throws never calls stop(): the watch must not keep the process alive then.
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await scrapeAll();
      return [...tracks.values()].reduce((sum, t) => sum + t.total, 0);
    },
  };
}
