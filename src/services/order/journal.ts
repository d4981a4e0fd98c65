/**
 * A saga's journal: what it went through, for operators (GET /admin/sagas/{order_id}). It
 * rides on writes that happen anyway: the owner of each epoch is appended by the write that
 * starts or claims the saga, and a transition appends the step timings its orchestrator kept
 * in memory. No write exists for the journal alone, so the hot path pays a few bytes, not a
 * round trip.
 *
 * Stored as text, one JSON line per event, appended by the stores without interpreting it:
 * - an owner event `{"o":owner,"t":at}` (plus `"op":1` when an operator asked for it) for the
 *   start and every takeover; each bumps the epoch by one, so the n-th owner event opens
 *   epoch n and events carry no epoch of their own;
 * - a transition `{"s":state,"t":at,"r":reason?,"x":[step, ...]}` where a step is
 *   `[name, sent, resends, answered, answer]`, times in ms relative to the transition's `t`
 *   (answered and answer null if no reply came).
 */
import { isReason, type Reason } from '../../lib/outcome.js';
import type { SagaState } from './store.js';

export type StepName = 'reserve' | 'charge' | 'release' | 'refund';

/** One participant command of a saga as its orchestrator saw it. */
export interface StepRecord {
  step: StepName;
  /** When the first copy was sent, ms since the epoch. */
  firstSentAt: number;
  /** Copies sent after the first one. */
  resends: number;
  /** When the accepted reply arrived; undefined if none did (deadline, lease lost). */
  answeredAt: number | undefined;
  /** 'ok' or the refusal reason of the accepted reply. */
  answer: string | undefined;
}

export interface OwnerEvent {
  kind: 'owner';
  owner: string;
  at: number;
  /** The epoch this owner holds (1 for the start, +1 per takeover). */
  epoch: number;
  /** True when an operator's retry or cancel made it take over. */
  operator: boolean;
}

export interface TransitionEvent {
  kind: 'transition';
  to: SagaState;
  at: number;
  /** The epoch of the owner that wrote it. */
  epoch: number;
  reason: Reason | undefined;
  steps: StepRecord[];
}

export type JournalEvent = OwnerEvent | TransitionEvent;

const STEPS: ReadonlySet<string> = new Set<StepName>(['reserve', 'charge', 'release', 'refund']);
const STATES: ReadonlySet<string> = new Set<SagaState>(['RUNNING', 'ABORTING', 'COMMITTED', 'ABORTED']);

export function isStepName(name: string): name is StepName {
  return STEPS.has(name);
}

export function ownerLine(owner: string, at: number, operator = false): string {
  return `${JSON.stringify(operator ? { o: owner, t: at, op: 1 } : { o: owner, t: at })}\n`;
}

export function transitionLine(
  to: SagaState,
  at: number,
  reason: Reason | undefined,
  steps: readonly StepRecord[],
): string {
  const x = steps.map((s) => [
    s.step,
    s.firstSentAt - at,
    s.resends,
    s.answeredAt === undefined ? null : s.answeredAt - at,
    s.answer ?? null,
  ]);
  const event = reason === undefined ? { s: to, t: at, x } : { s: to, t: at, r: reason, x };
  return `${JSON.stringify(event)}\n`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stepOf(value: unknown, at: number): StepRecord | undefined {
  if (!Array.isArray(value) || value.length !== 5) return undefined;
  const [step, sent, resends, answered, answer] = value as unknown[];
  if (typeof step !== 'string' || !STEPS.has(step) || typeof sent !== 'number') return undefined;
  if (typeof resends !== 'number') return undefined;
  return {
    step: step as StepName,
    firstSentAt: at + sent,
    resends,
    answeredAt: typeof answered === 'number' ? at + answered : undefined,
    answer: typeof answer === 'string' ? answer : undefined,
  };
}

/** The events of a stored journal, oldest first; a line it cannot read is skipped. */
export function readJournal(text: string): JournalEvent[] {
  const events: JournalEvent[] = [];
  let epoch = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    if (!isRecord(parsed) || typeof parsed['t'] !== 'number') continue;
    const at = parsed['t'];
    if (typeof parsed['o'] === 'string') {
      epoch += 1;
      events.push({ kind: 'owner', owner: parsed['o'], at, epoch, operator: parsed['op'] === 1 });
    } else if (typeof parsed['s'] === 'string' && STATES.has(parsed['s'])) {
      const steps = Array.isArray(parsed['x']) ? parsed['x'].map((s) => stepOf(s, at)) : [];
      const reason = parsed['r'];
      events.push({
        kind: 'transition',
        to: parsed['s'] as SagaState,
        at,
        epoch,
        reason: isReason(reason) ? reason : undefined,
        steps: steps.filter((s): s is StepRecord => s !== undefined),
      });
    }
  }
  return events;
}
