/**
 * The payment store conformance suite: every rule of the PaymentStore contract, checked by
 * reading state back. Both implementations run it:
 *
 *   describePaymentStore('sqlite', (options) => Promise.resolve(openSqlitePaymentStore(':memory:', options)));
 *
 * `open(options: { recordTtlMs: number }): Promise<PaymentStore>` must give a fresh, empty,
 * isolated store on every call (see harness.ts). This file holds users, addFunds/pay,
 * op ids and batchInit; payment-saga.ts holds charge/refund.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MAX_AMOUNT, OK, refused } from '../../src/lib/outcome.js';
import type { PaymentStore } from '../../src/services/payment/store.js';
import { PAST_SHORT_TTL_MS, SHORT_TTL_MS, freshStores, type OpenStore } from './harness.js';
import { describePaymentSagaSteps } from './payment-saga.js';

export function describePaymentStore(name: string, open: OpenStore<PaymentStore>): void {
  describe(`payment store (${name})`, () => {
    describePaymentUsers(open);
    describePaymentSagaSteps(open);
  });
}

function describePaymentUsers(open: OpenStore<PaymentStore>): void {
  const fresh = freshStores(open);

  /** A fresh store holding user `id` with `credit`. */
  async function withUser(id: string, credit: number): Promise<PaymentStore> {
    const store = await fresh();
    await store.createUser(id);
    if (credit > 0) expect(await store.addFunds(id, credit)).toEqual(OK);
    return store;
  }

  describe('users', () => {
    it('creates a user with no credit, and finds nothing for an unknown id', async () => {
      const store = await fresh();
      await store.createUser('u-1');
      expect(await store.findCredit('u-1')).toBe(0);
      expect(await store.findCredit('u-2')).toBeUndefined();
    });

    it('never overwrites an existing user when created again', async () => {
      const store = await withUser('u', 50);
      await store.createUser('u');
      expect(await store.findCredit('u')).toBe(50);
    });

    it('creates once per op id: a repeat answers the first id, the key on another request is refused', async () => {
      const store = await fresh();
      const create = 'POST /payment/create_user';
      const reused = refused('idempotency_key_reused');
      expect(await store.createUser('first', 'key', create)).toEqual({ ok: true, id: 'first' });
      expect(await store.createUser('second', 'key', create)).toEqual({ ok: true, id: 'first' });
      expect(await store.findCredit('second')).toBeUndefined();
      // The create's key on another request, and another write's key on a create: refused.
      expect(await store.addFunds('first', 5, 'key', 'POST /payment/add_funds/first/5')).toEqual(reused);
      expect(await store.addFunds('first', 5, 'other', create)).toEqual(OK);
      expect(await store.createUser('third', 'other', create)).toEqual(reused);
      expect(await store.findCredit('third')).toBeUndefined();
      expect(await store.findCredit('first')).toBe(5);
      // Without a key, every call makes the id it is given, as before.
      expect(await store.createUser('plain')).toEqual({ ok: true, id: 'plain' });
      expect(await store.findCredit('plain')).toBe(0);
    });
  });

  describe('addFunds and pay', () => {
    it('adds funds and pays', async () => {
      const store = await withUser('u', 10);
      expect(await store.addFunds('u', 5)).toEqual(OK);
      expect(await store.pay('u', 12)).toEqual(OK);
      expect(await store.findCredit('u')).toBe(3);
    });

    it('pays down to exactly zero', async () => {
      const store = await withUser('u', 10);
      expect(await store.pay('u', 10)).toEqual(OK);
      expect(await store.findCredit('u')).toBe(0);
    });

    it('refuses to pay more than the credit and changes nothing', async () => {
      const store = await withUser('u', 10);
      expect(await store.pay('u', 11)).toEqual(refused('insufficient_credit'));
      expect(await store.findCredit('u')).toBe(10);
    });

    it('refuses an unknown user without creating it', async () => {
      const store = await fresh();
      expect(await store.addFunds('ghost', 1)).toEqual(refused('user_not_found'));
      expect(await store.pay('ghost', 1)).toEqual(refused('user_not_found'));
      expect(await store.findCredit('ghost')).toBeUndefined();
    });

    it('adds funds up to exactly MAX_AMOUNT', async () => {
      const store = await withUser('u', 5);
      expect(await store.addFunds('u', MAX_AMOUNT - 5)).toEqual(OK);
      expect(await store.findCredit('u')).toBe(MAX_AMOUNT);
      expect(await store.pay('u', MAX_AMOUNT - 1)).toEqual(OK);
      expect(await store.findCredit('u')).toBe(1);
    });

    it('answers overflow past MAX_AMOUNT and changes nothing', async () => {
      const store = await withUser('u', MAX_AMOUNT - 1);
      expect(await store.addFunds('u', 2)).toEqual(refused('overflow'));
      expect(await store.findCredit('u')).toBe(MAX_AMOUNT - 1);
      expect(await store.addFunds('u', MAX_AMOUNT)).toEqual(refused('overflow'));
      expect(await store.findCredit('u')).toBe(MAX_AMOUNT - 1);
      expect(await store.addFunds('u', 1)).toEqual(OK);
      expect(await store.findCredit('u')).toBe(MAX_AMOUNT);
    });
  });

  describe('operation ids', () => {
    it('binds an op id to its request: another request with it is refused and changes nothing', async () => {
      const store = await withUser('u', 10);
      await store.createUser('v');
      expect(await store.addFunds('u', 100, 'key', 'POST /payment/add_funds/u/100')).toEqual(OK);
      const reused = refused('idempotency_key_reused');
      expect(await store.addFunds('v', 70, 'key', 'POST /payment/add_funds/v/70')).toEqual(reused);
      expect(await store.pay('u', 30, 'key', 'POST /payment/pay/u/30')).toEqual(reused);
      expect(await store.addFunds('u', 100, 'key', 'POST /payment/add_funds/u/100')).toEqual(OK);
      expect(await store.findCredit('u')).toBe(110);
      expect(await store.findCredit('v')).toBe(0);
    });

    it('applies addFunds once however often it is repeated with its op id', async () => {
      const store = await withUser('u', 10);
      expect(await store.addFunds('u', 5, 'op-1')).toEqual(OK);
      expect(await store.addFunds('u', 5, 'op-1')).toEqual(OK);
      expect(await store.findCredit('u')).toBe(15);
      expect(await store.addFunds('u', 5, 'op-2')).toEqual(OK);
      expect(await store.findCredit('u')).toBe(20);
    });

    it('applies a payment once however often it is repeated with its op id', async () => {
      const store = await withUser('u', 10);
      expect(await store.pay('u', 4, 'op-1')).toEqual(OK);
      expect(await store.pay('u', 4, 'op-1')).toEqual(OK);
      expect(await store.findCredit('u')).toBe(6);
    });

    it('replays a recorded refusal even once the call would succeed', async () => {
      const store = await withUser('u', 3);
      expect(await store.pay('u', 5, 'op-1')).toEqual(refused('insufficient_credit'));
      expect(await store.addFunds('u', 10)).toEqual(OK);
      expect(await store.pay('u', 5, 'op-1')).toEqual(refused('insufficient_credit'));
      expect(await store.findCredit('u')).toBe(13);
    });

    it('replays user_not_found and overflow under their op ids', async () => {
      const store = await withUser('u', MAX_AMOUNT);
      expect(await store.addFunds('late', 1, 'op-a')).toEqual(refused('user_not_found'));
      expect(await store.addFunds('u', 1, 'op-b')).toEqual(refused('overflow'));
      await store.createUser('late');
      expect(await store.pay('u', 1)).toEqual(OK);
      expect(await store.addFunds('late', 1, 'op-a')).toEqual(refused('user_not_found'));
      expect(await store.addFunds('u', 1, 'op-b')).toEqual(refused('overflow'));
      expect(await store.findCredit('late')).toBe(0);
      expect(await store.findCredit('u')).toBe(MAX_AMOUNT - 1);
    });

    it('forgets an op id after recordTtlMs, so the same id applies again', async () => {
      const store = await fresh({ recordTtlMs: SHORT_TTL_MS });
      await store.createUser('u');
      expect(await store.addFunds('u', 5, 'op-1')).toEqual(OK);
      await sleep(PAST_SHORT_TTL_MS);
      expect(await store.addFunds('u', 5, 'op-1')).toEqual(OK);
      expect(await store.findCredit('u')).toBe(10);
    });
  });

  describe('batchInit', () => {
    it('creates 100,000 users "0".."99999" with the given credit', async () => {
      const store = await fresh();
      await store.batchInit(100_000, 250);
      for (const id of ['0', '1', '4711', '54321', '99999']) {
        expect(await store.findCredit(id)).toBe(250);
      }
      expect(await store.findCredit('100000')).toBeUndefined();
    });

    it('replaces existing users in range with fresh credit and leaves others alone', async () => {
      const store = await withUser('5', 100);
      await store.createUser('other');
      await store.addFunds('other', 2);
      await store.batchInit(10, 0);
      expect(await store.findCredit('5')).toBe(0);
      expect(await store.findCredit('9')).toBe(0);
      expect(await store.findCredit('other')).toBe(2);
      expect(await store.addFunds('5', 3)).toEqual(OK);
      expect(await store.findCredit('5')).toBe(3);
    });
  });
}
