/**
 * The operator console end to end in headless Chromium: the whole system in-process on a real
 * port (SQLite in memory, the in-process bus dropping every reserve of order `stuck-1`, so its
 * saga waits for stock), some checkouts for the live figures, then in the browser: open
 * /console with the token, look up a committed order and see its step timeline, find the stuck
 * saga under "Sagas by state", cancel it, and see it ABORTED with everything given back.
 * Screenshots are test output and go to results/console/ (ignored by git); the README's copies
 * in docs/img/ are refreshed with CONSOLE_SCREENSHOTS=docs/img.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Commands, Participant } from '../../src/bus/bus.js';
import { launchBrowser, type Browser } from '../support/browser.js';
import { startInProcess, type InProcess } from '../support/in-process.js';

const TOKEN = 'console-test-token-0123456789';
const SHOTS = process.env['CONSOLE_SCREENSHOTS'] ?? 'results/console';
let services: InProcess | undefined;
let browser: Browser | undefined;
let url = '';

/** The item only stuck-1 holds: commands name the order by its key, not its id. */
let stuckItem = '';
const stuck = (_to: Participant, command: Commands[Participant]): boolean =>
  command.type === 'reserve' && command.items.some(([itemId]) => itemId === stuckItem);

beforeAll(async () => {
  const env = { ADMIN_TOKEN: TOKEN, INSTANCE_ID: 'order-1', SAGA_DEADLINE_MS: '120000' };
  services = await startInProcess(env, stuck);
  const { stores } = services;
  url = await services.app.listen({ port: 0, host: '127.0.0.1' });
  const post = (path: string) => fetch(`${url}${path}`, { method: 'POST' });
  await post('/stock/batch_init/10/100000/5');
  await post('/payment/batch_init/10/1000000');
  const created = (await (await post('/stock/item/create/5')).json()) as { item_id: string };
  stuckItem = created.item_id;
  expect((await post(`/stock/add/${stuckItem}/100`)).status).toBe(200);
  for (const [id, second] of [
    ['ok-1', '2'],
    ['stuck-1', stuckItem],
  ] as const) {
    await stores.order.createOrder(id, '3');
    await stores.order.addItem(id, '1', 2, 5);
    await stores.order.addItem(id, second, 1, 5);
  }
  expect((await post('/orders/checkout/ok-1')).status).toBe(200);
  void post('/orders/checkout/stuck-1');
  browser = await launchBrowser();
  mkdirSync(SHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await services?.close();
});

/** Checkouts of fresh orders (and repeats) while the page watches: the live tiles move. */
async function someLoad(count: number): Promise<void> {
  await fetch(`${url}/orders/batch_init/${count}/10/10/5`, { method: 'POST' });
  for (let i = 0; i < count; i++) {
    await fetch(`${url}/orders/checkout/${i}`, { method: 'POST' });
    await fetch(`${url}/orders/checkout/${i}`, { method: 'POST' });
  }
}

describe('console in headless Chromium', () => {
  it('shows live figures, a saga timeline, and cancels a stuck saga', async () => {
    if (browser === undefined) throw new Error('no browser');
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${url}/console#token=${TOKEN}`);
    // The token left the address bar at once.
    expect(page.url()).toBe(`${url}/console`);
    await page.getByText('token accepted').waitFor();
    // The live figures say whose counters they sum: here the one in-process replica.
    await page.getByText('summed over 1 order replica (order-1)').waitFor();
    await someLoad(300);
    // A string, evaluated in the page (this file is not compiled with the DOM library).
    await page.waitForFunction("Number(document.getElementById('cps').textContent) > 0", undefined, {
      timeout: 30_000,
    });
    await someLoad(100);

    // Look up the committed order: its reserve and charge on the timeline.
    await page.fill('#order', 'ok-1');
    await page.click('#lookup button');
    const card = page.locator('#inspector section').first();
    await card.getByText('COMMITTED').first().waitFor();
    await expect
      .poll(() => card.locator('.timeline tr').allTextContents())
      .toEqual([
        expect.stringMatching(/^reserve.*answered ok/),
        expect.stringMatching(/^charge.*answered ok/),
        expect.stringMatching(/^→ COMMITTED/),
      ]);
    await page.screenshot({ path: `${SHOTS}/console-inspector.png`, fullPage: true });

    // The stuck saga is listed as RUNNING; open it: reserve re-sent, never answered.
    const stuckRow = page.locator('#unfinished tr', { hasText: 'stuck-1' });
    await stuckRow.getByText('RUNNING').waitFor();
    await stuckRow.getByText('stuck-1').click();
    await card.getByText('RUNNING').first().waitFor();
    await card.getByText(/reserve.*no answer yet \(live\)/).waitFor();
    await page.screenshot({ path: `${SHOTS}/console-stuck.png`, fullPage: true });

    // Cancel it: compensated and ABORTED, for reason operator.
    await card.getByRole('button', { name: 'Cancel' }).click();
    await page.getByText(/cancel: 202 ABORTING at epoch 2/).waitFor();
    await page
      .locator('#inspector section')
      .first()
      .getByText('ABORTED')
      .first()
      .waitFor({ timeout: 30_000 });
    const aborted = page.locator('#inspector section').first();
    await aborted.getByText('operator').first().waitFor();
    await aborted.getByText(/→ ABORTED/).waitFor();
    await page.screenshot({ path: `${SHOTS}/console-cancelled.png`, fullPage: true });
    expect(errors).toEqual([]);

    // What the page showed is what happened: nothing was charged or taken for stuck-1.
    const order = (await (await fetch(`${url}/orders/find/stuck-1`)).json()) as { paid: boolean };
    expect(order.paid).toBe(false);
    const sagas = (await (
      await fetch(`${url}/admin/sagas/stuck-1`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { sagas: { state: string; reason: string; participants: Record<string, string> }[] };
    expect(sagas.sagas[0]).toMatchObject({
      state: 'ABORTED',
      reason: 'operator',
      participants: { stock: 'tombstone', payment: 'released' },
    });
  }, 180_000);
});
