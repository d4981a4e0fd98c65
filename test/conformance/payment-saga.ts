/**
 * Payment's participant steps (charge / refund per saga id), part of the payment store
 * conformance suite (payment.ts). Every rule is checked by reading the credit back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { OK, refused } from '../../src/lib/outcome.js';
import type { PaymentStore } from '../../src/services/payment/store.js';
import { PAST_SHORT_TTL_MS, SHORT_TTL_MS, freshStores, type OpenStore } from './harness.js';

export function describePaymentSagaSteps(open: OpenStore<PaymentStore>): void {
  const fresh = freshStores(open);

  /** A fresh store with user u (100 credit) and broke (0). */
  async function bank(options?: { recordTtlMs: number }): Promise<PaymentStore> {
    const store = await fresh(options);
    await store.createUser('u');
    await store.addFunds('u', 100);
    await store.createUser('broke');
    return store;
  }

  describe('charge', () => {
    it('takes the amount, and a repeat answers ok without taking again', async () => {
      const store = await bank();
      expect(await store.charge('s1', 'o1', 'u', 30)).toEqual(OK);
      expect(await store.findCredit('u')).toBe(70);
      expect(await store.charge('s1', 'o1', 'u', 30)).toEqual(OK);
      expect(await store.findCredit('u')).toBe(70);
    });

    it('takes the whole credit', async () => {
      const store = await bank();
      expect(await store.charge('s1', 'o1', 'u', 100)).toEqual(OK);
      expect(await store.findCredit('u')).toBe(0);
    });

    it('answers user_not_found and replays it after the user appears', async () => {
      const store = await bank();
      expect(await store.charge('s1', 'o1', 'ghost', 1)).toEqual(refused('user_not_found'));
      expect(await store.findCredit('ghost')).toBeUndefined();
      await store.createUser('ghost');
      await store.addFunds('ghost', 5);
      expect(await store.charge('s1', 'o1', 'ghost', 1)).toEqual(refused('user_not_found'));
      expect(await store.findCredit('ghost')).toBe(5);
    });

    it('answers insufficient_credit, takes nothing, and replays it after funds arrive', async () => {
      const store = await bank();
      expect(await store.charge('s1', 'o1', 'u', 101)).toEqual(refused('insufficient_credit'));
      expect(await store.findCredit('u')).toBe(100);
      await store.addFunds('u', 50);
      expect(await store.charge('s1', 'o1', 'u', 101)).toEqual(refused('insufficient_credit'));
      expect(await store.findCredit('u')).toBe(150);
    });

    it('with amount 0 only checks that the user exists', async () => {
      const store = await bank();
      expect(await store.charge('s1', 'o1', 'broke', 0)).toEqual(OK);
      expect(await store.findCredit('broke')).toBe(0);
      expect(await store.charge('s2', 'o2', 'ghost', 0)).toEqual(refused('user_not_found'));
      await store.refund('s1');
      expect(await store.findCredit('broke')).toBe(0);
      expect(await store.charge('s1', 'o1', 'broke', 0)).toEqual(refused('compensated'));
    });

    it('keeps sagas apart', async () => {
      const store = await bank();
      expect(await store.charge('s1', 'o1', 'u', 10)).toEqual(OK);
      expect(await store.charge('s2', 'o2', 'u', 10)).toEqual(OK);
      await store.refund('s1');
      expect(await store.findCredit('u')).toBe(90);
      expect(await store.charge('s2', 'o2', 'u', 10)).toEqual(OK);
      expect(await store.findCredit('u')).toBe(90);
    });

    it('lets exactly as many concurrent sagas charge as the credit covers', async () => {
      const store = await bank();
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, (_, i) => store.charge(`s${i}`, `o${i}`, 'u', 15)),
      );
      expect(outcomes.filter((o) => o.ok)).toHaveLength(6);
      expect(outcomes.filter((o) => !o.ok)).toEqual(Array(24).fill(refused('insufficient_credit')));
      expect(await store.findCredit('u')).toBe(10);
    });
  });

  describe('refund', () => {
    it('gives back what a charge took, once however often it is repeated', async () => {
      const store = await bank();
      await store.charge('s1', 'o1', 'u', 30);
      await store.refund('s1');
      expect(await store.findCredit('u')).toBe(100);
      await store.refund('s1');
      expect(await store.findCredit('u')).toBe(100);
    });

    it('makes a charge repeated after refund answer compensated and take nothing', async () => {
      const store = await bank();
      await store.charge('s1', 'o1', 'u', 30);
      await store.refund('s1');
      expect(await store.charge('s1', 'o1', 'u', 30)).toEqual(refused('compensated'));
      expect(await store.findCredit('u')).toBe(100);
    });

    it('gives nothing back for a refused charge, which then answers compensated', async () => {
      const store = await bank();
      expect(await store.charge('s1', 'o1', 'broke', 5)).toEqual(refused('insufficient_credit'));
      await store.refund('s1');
      expect(await store.findCredit('broke')).toBe(0);
      await store.addFunds('broke', 10);
      expect(await store.charge('s1', 'o1', 'broke', 5)).toEqual(refused('compensated'));
      expect(await store.findCredit('broke')).toBe(10);
    });

    it('gives back what the charge recorded, to whom it recorded, whatever the refund says', async () => {
      const store = await bank();
      await store.charge('s1', 'o1', 'u', 30);
      // A forged or garbled refund (anyone who can publish to the broker) must not mint credit.
      await store.refund('s1');
      expect(await store.findCredit('u')).toBe(100);
      expect(await store.findCredit('broke')).toBe(0);
      await store.charge('s2', 'o2', 'u', 0);
      await store.refund('s2');
      expect(await store.findCredit('u')).toBe(100);
    });

    it('leaves a tombstone when it comes first, so a late charge does nothing', async () => {
      const store = await bank();
      await store.refund('s1');
      expect(await store.findCredit('u')).toBe(100);
      expect(await store.charge('s1', 'o1', 'u', 30)).toEqual(refused('compensated'));
      expect(await store.findCredit('u')).toBe(100);
      await store.refund('s1');
      expect(await store.findCredit('u')).toBe(100);
    });

    it('gives back exactly what was taken though the credit moved meanwhile', async () => {
      const store = await bank();
      await store.charge('s1', 'o1', 'u', 30);
      await store.pay('u', 60);
      await store.refund('s1');
      expect(await store.findCredit('u')).toBe(40);
    });

    it('gives back once when refunded concurrently', async () => {
      const store = await bank();
      await store.charge('s1', 'o1', 'u', 30);
      await Promise.all(Array.from({ length: 10 }, () => store.refund('s1')));
      expect(await store.findCredit('u')).toBe(100);
    });
  });

  describe('one uncompensated charge per order', () => {
    it('refunds the charge of an earlier saga of the same order before charging again', async () => {
      const store = await bank();
      expect(await store.charge('s1', 'o1', 'u', 30)).toEqual(OK);
      // s1's order-side record was lost and the order checked out again as s2.
      expect(await store.charge('s2', 'o1', 'u', 30)).toEqual(OK);
      expect(await store.findCredit('u')).toBe(70);
      expect(await store.charge('s1', 'o1', 'u', 30)).toEqual(refused('compensated'));
      await store.refund('s1');
      expect(await store.findCredit('u')).toBe(70);
      await store.refund('s2');
      expect(await store.findCredit('u')).toBe(100);
    });

    it('charges the whole credit again when the first charge took it', async () => {
      const store = await bank();
      await store.charge('s1', 'o1', 'u', 100);
      expect(await store.charge('s2', 'o1', 'u', 100)).toEqual(OK);
      expect(await store.findCredit('u')).toBe(0);
    });

    it('holds nothing after a refused second saga: the first one is refunded too', async () => {
      const store = await bank();
      await store.charge('s1', 'o1', 'u', 60);
      expect(await store.charge('s2', 'o1', 'u', 101)).toEqual(refused('insufficient_credit'));
      expect(await store.findCredit('u')).toBe(100);
    });

    it('leaves other orders and refunded sagas alone', async () => {
      const store = await bank();
      await store.charge('s1', 'o1', 'u', 10);
      await store.refund('s1');
      await store.charge('s2', 'o1', 'u', 20);
      await store.charge('s3', 'o2', 'u', 30);
      expect(await store.findCredit('u')).toBe(50);
      await store.refund('s1');
      expect(await store.findCredit('u')).toBe(50);
    });
  });

  describe('sagaRecord', () => {
    it('tells operators what it recorded for each saga, and nothing for an unknown one', async () => {
      const store = await bank();
      expect(await store.charge('s1', 'o1', 'u', 30)).toEqual(OK);
      expect(await store.charge('s2', 'o2', 'broke', 1)).toEqual(refused('insufficient_credit'));
      await store.refund('s3');
      expect(await store.sagaRecord('s1')).toBe('applied');
      expect(await store.sagaRecord('s2')).toBe('insufficient_credit');
      expect(await store.sagaRecord('s3')).toBe('tombstone');
      await store.refund('s1');
      expect(await store.sagaRecord('s1')).toBe('released');
      expect(await store.sagaRecord('s4')).toBeUndefined();
      expect(await store.findCredit('u')).toBe(100);
    });
  });

  describe('record expiry', () => {
    it('forgets a tombstone after recordTtlMs, so a late charge applies', async () => {
      const store = await bank({ recordTtlMs: SHORT_TTL_MS });
      await store.refund('s1');
      await sleep(PAST_SHORT_TTL_MS);
      expect(await store.charge('s1', 'o1', 'u', 30)).toEqual(OK);
      expect(await store.findCredit('u')).toBe(70);
    });

    it('forgets a charge after recordTtlMs, so the same saga id charges anew', async () => {
      const store = await bank({ recordTtlMs: SHORT_TTL_MS });
      expect(await store.charge('s1', 'o1', 'u', 30)).toEqual(OK);
      await sleep(PAST_SHORT_TTL_MS);
      expect(await store.charge('s1', 'o1', 'u', 30)).toEqual(OK);
      expect(await store.findCredit('u')).toBe(40);
    });

    it('forgets a refusal after recordTtlMs', async () => {
      const store = await bank({ recordTtlMs: SHORT_TTL_MS });
      expect(await store.charge('s1', 'o1', 'broke', 5)).toEqual(refused('insufficient_credit'));
      await store.addFunds('broke', 5);
      await sleep(PAST_SHORT_TTL_MS);
      expect(await store.charge('s1', 'o1', 'broke', 5)).toEqual(OK);
      expect(await store.findCredit('broke')).toBe(0);
    });
  });
}
