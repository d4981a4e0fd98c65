/**
 * The saga inspector's view (GET /admin/sagas/{order_id}): a stored saga record and its
 * journal (journal.ts) turned into what an operator reads — owners over time, transitions,
 * and per step when it was first sent, how often re-sent, when and what it answered — plus
 * what stock and payment recorded for the saga id, asked over the bus (read-only queries).
 */
import type { Bus, Participant } from '../../bus/bus.js';
import { readJournal, type StepRecord } from './journal.js';
import type { SagaRecord } from './store.js';

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** A saga as the listing shows it. */
export function sagaSummary(saga: SagaRecord, now = Date.now()) {
  return {
    saga_id: saga.sagaId,
    order_id: saga.orderId,
    state: saga.state,
    reason: saga.reason ?? null,
    epoch: saga.epoch,
    owner: saga.owner,
    started_at: iso(saga.startedAt),
    age_ms: saga.startedAt === undefined ? null : now - saga.startedAt,
    deadline: iso(saga.deadline),
    lease_until: iso(saga.leaseUntil),
  };
}

function stepView(step: StepRecord, epoch: number, live: boolean) {
  return {
    step: step.step,
    epoch,
    first_sent_at: iso(step.firstSentAt),
    resends: Math.max(0, step.resends),
    answered_at: iso(step.answeredAt),
    answer: step.answer ?? null,
    // Still in the owner's memory: the transition that will store it has not happened yet.
    live,
  };
}

/** What a participant recorded for the saga, null if nothing, 'unavailable' if it did not answer. */
export type RecordLookup = (participant: Participant, sagaId: string) => Promise<string | null>;

export function recordLookup(bus: Bus, timeoutMs: number): RecordLookup {
  return async (participant, sagaId) => {
    const reply = await bus.request(participant, { type: 'record', sagaId }, timeoutMs);
    if (reply === undefined) return 'unavailable';
    return reply.ok ? (reply.record ?? null) : null;
  };
}

/**
 * The full view of one saga. `liveSteps` are the steps of its current phase if this replica
 * drives it now (they reach the store only with the transition that ends the phase).
 */
export async function sagaView(
  saga: SagaRecord,
  lookup: RecordLookup,
  liveSteps: readonly StepRecord[] | undefined,
) {
  const events = readJournal(saga.journal);
  const owners = events.flatMap((e) =>
    e.kind === 'owner' ? [{ epoch: e.epoch, owner: e.owner, since: iso(e.at), by_operator: e.operator }] : [],
  );
  const transitions = events.flatMap((e) =>
    e.kind === 'transition' ? [{ to: e.to, at: iso(e.at), epoch: e.epoch, reason: e.reason ?? null }] : [],
  );
  const steps = events.flatMap((e) =>
    e.kind === 'transition' ? e.steps.map((s) => stepView(s, e.epoch, false)) : [],
  );
  for (const step of liveSteps ?? []) steps.push(stepView(step, saga.epoch, true));
  const [stock, payment] = await Promise.all([lookup('stock', saga.sagaId), lookup('payment', saga.sagaId)]);
  return {
    ...sagaSummary(saga),
    user_id: saga.userId,
    amount: saga.amount,
    items: saga.items,
    owners,
    transitions,
    steps,
    participants: { stock, payment },
  };
}
