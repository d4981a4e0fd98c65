/**
 * Scatter-gather over the bus, for operators' questions to every replica of a service (the
 * console asks every order replica for its counters): one question goes to every process
 * that answers its topic, and the asker takes what arrives within a short window. Nothing is
 * sent, kept or computed until someone asks, so it costs the saga's path nothing.
 *
 * Answers are JSON values; the asker validates their shape. A replica that does not answer in
 * time is simply missing from the result, so the asker can say how many it heard from.
 */

export type Answer = () => Promise<unknown>;

export interface Gathering {
  /** Asks every process answering `topic`; resolves with the answers that arrived within `windowMs`. */
  gather: (topic: string, windowMs: number) => Promise<unknown[]>;
  /** Answers every later `gather` of `topic` with `answer()`, until the bus is closed. */
  answer: (topic: string, answer: Answer) => Promise<void>;
}

/**
 * The in-process implementation (`npm start`, tests): every answerer lives in this process, so
 * a gather ends as soon as all of them answered, or at the window if one hangs.
 */
export function createLocalGathering(): Gathering & { close(): void } {
  const answerers = new Map<string, Answer[]>();
  let closed = false;
  return {
    gather(topic, windowMs) {
      const asked = closed ? [] : (answerers.get(topic) ?? []);
      if (asked.length === 0) return Promise.resolve([]);
      return new Promise((resolve) => {
        const arrived: unknown[] = [];
        let waiting = asked.length;
        const timer = setTimeout(() => resolve([...arrived]), windowMs);
        const done = (): void => {
          if (--waiting > 0) return;
          clearTimeout(timer);
          resolve([...arrived]);
        };
        for (const answer of asked) {
          answer().then((value) => {
            arrived.push(value);
            done();
            // A failed answer is like a replica that did not answer: missing from the result.
          }, done);
        }
      });
    },
    answer(topic, answer) {
      if (!closed) answerers.set(topic, [...(answerers.get(topic) ?? []), answer]);
      return Promise.resolve();
    },
    close() {
      closed = true;
      answerers.clear();
    },
  };
}
