/** `npm start`'s process, over real HTTP: the contract, bad input and consistency suites. */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../harness/client.js';
import { useEmbedded } from '../support/embedded.js';
import { describeBadInput } from '../suites/bad-input.js';
import { describeConsistency } from '../suites/consistency.js';
import { describeContract } from '../suites/contract.js';

const baseUrl = useEmbedded('embedded');

describeContract('embedded', baseUrl);
describeBadInput('embedded', baseUrl);
describeConsistency('embedded', baseUrl);

describe('operations endpoints (embedded)', () => {
  it('answers /health, /ready and Prometheus /metrics counting requests by route and status', async () => {
    const api = createClient(baseUrl(), 2);
    expect((await api.get('/health')).status).toBe(200);
    expect((await api.get('/ready')).status).toBe(200);
    await api.get('/stock/find/no-such-item');
    const metrics = await api.get('/metrics');
    expect(metrics.status).toBe(200);
    const text = String(metrics.body);
    expect(text).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="\/stock\/find\/:item_id",status="404"\} [1-9]/m,
    );
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
    // Read from the store at scrape time: none is stuck in a healthy run.
    expect(text).toMatch(/^sagas_stuck\{state="RUNNING"\} 0$/m);
    expect(text).toMatch(/^sagas_in_flight \d+$/m);
    api.close();
  });

  it('counts saga outcomes, step durations and compensations in /metrics', async () => {
    const api = createClient(baseUrl(), 2);
    const id = async (path: string, field: string): Promise<string> => {
      const response = await api.post(path);
      return String((response.body as Record<string, unknown>)[field]);
    };
    const user = await id('/payment/create_user', 'user_id');
    await api.post(`/payment/add_funds/${user}/100`);
    const item = await id('/stock/item/create/10', 'item_id');
    await api.post(`/stock/add/${item}/1`);
    const paid = await id(`/orders/create/${user}`, 'order_id');
    await api.post(`/orders/addItem/${paid}/${item}/1`);
    expect((await api.post(`/orders/checkout/${paid}`)).status).toBe(200);
    const short = await id(`/orders/create/${user}`, 'order_id');
    await api.post(`/orders/addItem/${short}/${item}/5`);
    expect((await api.post(`/orders/checkout/${short}`)).status).toBe(400);

    const text = String((await api.get('/metrics')).body);
    const value = (series: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return Number(line?.split(' ')[1] ?? 0);
    };
    expect(value('saga_outcomes_total{outcome="committed",reason="none"}')).toBeGreaterThanOrEqual(1);
    expect(
      value('saga_outcomes_total{outcome="aborted",reason="insufficient_stock"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(value('saga_compensations_total{reason="insufficient_stock"}')).toBeGreaterThanOrEqual(1);
    expect(value('saga_step_duration_seconds_count{step="reserve",result="ok"}')).toBeGreaterThanOrEqual(1);
    expect(value('saga_step_duration_seconds_count{step="reserve",result="refused"}')).toBeGreaterThanOrEqual(
      1,
    );
    expect(value('saga_step_duration_seconds_count{step="release",result="ok"}')).toBeGreaterThanOrEqual(1);
    expect(value('saga_step_duration_seconds_count{step="refund",result="ok"}')).toBeGreaterThanOrEqual(1);
    expect(value('saga_duration_seconds_count{outcome="committed"}')).toBeGreaterThanOrEqual(1);
    api.close();
  });
});
