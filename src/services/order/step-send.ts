/**
 * One saga step on the wire, as the saga sees it: the command sent until answered (resend.ts),
 * inside its own trace span, with its bookkeeping noted for the journal (when first sent, how
 * often re-sent, when and what it answered) and its duration counted for metrics.
 */
import { performance } from 'node:perf_hooks';
import type { Commands, Participant, Reply } from '../../bus/bus.js';
import type { Metrics, StepResult } from '../../lib/metrics.js';
import { tracer, type SpanAttributes } from '../../lib/tracing.js';
import { isStepName, type StepRecord } from './journal.js';
import type { ResendOptions, SendUntilAnswered } from './resend.js';

export type SendStep = <P extends Participant>(
  participant: P,
  command: Commands[P],
  deadline: number,
  options: ResendOptions,
  steps: StepRecord[],
) => Promise<Reply | undefined>;

const stepSpanEnd = (answer: Reply | undefined): SpanAttributes => ({
  'checkout.outcome': answer === undefined ? 'no_answer' : answer.ok ? 'ok' : answer.reason,
});

/** Sends through `send`; each step's record is pushed onto the `steps` it is given. */
export function stepSender(send: SendUntilAnswered, metrics: Metrics | undefined): SendStep {
  return (participant, command, deadline, options, steps) => {
    const start = performance.now();
    const record: StepRecord | undefined = isStepName(command.type)
      ? { step: command.type, firstSentAt: Date.now(), resends: -1, answeredAt: undefined, answer: undefined }
      : undefined;
    if (record) steps.push(record);
    const sendOptions: ResendOptions =
      record === undefined
        ? options
        : {
            ...options,
            onSend: () => {
              record.resends += 1;
            },
          };
    // With tracing on, the step's span is active while it sends: its traceparent goes along.
    // Without, no span's attributes are built for every step.
    const sending = tracer().enabled
      ? tracer().inSpan(
          `saga ${command.type}`,
          { 'checkout.service': 'order', 'saga.participant': participant },
          () => send(participant, command, deadline, sendOptions),
          { end: stepSpanEnd },
        )
      : send(participant, command, deadline, sendOptions);
    return sending.then((answer) => {
      if (record && answer !== undefined) {
        record.answeredAt = Date.now();
        record.answer = answer.ok ? 'ok' : answer.reason;
      }
      const result: StepResult = answer === undefined ? 'no_answer' : answer.ok ? 'ok' : 'refused';
      metrics?.saga.step(command.type, result, (performance.now() - start) / 1000);
      return answer;
    });
  };
}
