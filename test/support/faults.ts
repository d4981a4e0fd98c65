/**
 * Fault injection for the saga tests: a seeded random schedule of dropped, duplicated and
 * delayed (so reordered) messages, and a "crash" that freezes an orchestrator for good
 * between any two of its store or bus calls — like a process killed at that point.
 */
import type { Bus } from '../../src/bus/bus.js';
import type { DeliveryFaults } from '../../src/bus/local.js';
import { seeded } from '../../harness/pool.js';

export interface FaultRates {
  drop: number;
  duplicate: number;
  maxDelayMs: number;
}

export function deliveryFaults(seed: number, rates: FaultRates): DeliveryFaults {
  const next = seeded(seed);
  const delay = (): number => Math.floor(next() * rates.maxDelayMs);
  const fate = (): number[] => {
    const roll = next();
    if (roll < rates.drop) return [];
    if (roll < rates.drop + rates.duplicate) return [delay(), delay()];
    return [delay()];
  };
  return { command: fate, reply: fate };
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

export interface Crash {
  readonly crashed: boolean;
}

/**
 * Wraps every method of `target`: after `afterCalls` calls (counted over all wrapped objects
 * sharing `counter`), each call hangs forever — the process is dead from that point on.
 */
export function crashable<T extends object>(target: T, counter: { calls: number; limit: number }): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        if (++counter.calls > counter.limit) return never();
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

/** A bus whose requests hang once the shared counter is past its limit. */
export function crashableBus(bus: Bus, counter: { calls: number; limit: number }): Bus {
  return {
    request: (to, command, timeoutMs) =>
      ++counter.calls > counter.limit ? never() : bus.request(to, command, timeoutMs),
    serve: (participant, handler) => bus.serve(participant, handler),
    close: () => bus.close(),
  };
}
