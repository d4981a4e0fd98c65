/**
 * Group commit of the embedded store (src/lib/sqlite.ts): the steps of one event-loop turn
 * share one transaction, yet each behaves as if it had committed alone, and none is answered
 * before its data is committed.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { checkpointInBackground } from '../../src/lib/sqlite-checkpoints.js';
import { groupCommit, openDatabase, type Db } from '../../src/lib/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function open(): { db: Db; file: string } {
  const file = join(dir, `db-${files++}.db`);
  const db = openDatabase(file);
  db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID');
  return { db, file };
}

describe('groupCommit', () => {
  it('lets each step of a turn see the writes of the steps before it', async () => {
    const { db } = open();
    const group = groupCommit(db);
    const put = db.prepare<[string, number]>('INSERT OR REPLACE INTO kv VALUES (?, ?)');
    const get = db.prepare<[string], number>('SELECT v FROM kv WHERE k = ?').pluck();
    const results = await Promise.all([
      group.run(() => put.run('a', 1)),
      group.run(() => get.get('a')),
      group.run(() => put.run('a', (get.get('a') ?? 0) + 1)),
      group.run(() => get.get('a')),
    ]);
    expect(results[1]).toBe(1);
    expect(results[3]).toBe(2);
    await group.close();
  });

  it('undoes only the step that threw; the others of its turn commit', async () => {
    const { db, file } = open();
    const group = groupCommit(db);
    const put = db.prepare<[string, number]>('INSERT INTO kv VALUES (?, ?)');
    const failing = db.transaction(() => {
      put.run('half', 1);
      throw new Error('step failed');
    });
    const outcomes = await Promise.allSettled([
      group.run(() => put.run('before', 1)),
      group.run(() => failing()),
      group.run(() => put.run('after', 1)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    await group.close();
    const reader = new Database(file, { readonly: true });
    const keys = reader.prepare<[], string>('SELECT k FROM kv ORDER BY k').pluck().all();
    reader.close();
    expect(keys).toEqual(['after', 'before']);
  });

  it('answers a step only once another connection can read what it wrote', async () => {
    const { db, file } = open();
    const group = groupCommit(db);
    const reader = new Database(file, { readonly: true });
    const count = reader.prepare<[], number>('SELECT count(*) FROM kv').pluck();
    const put = db.prepare<[string, number]>('INSERT INTO kv VALUES (?, ?)');
    const seen = await Promise.all(
      Array.from({ length: 20 }, (_, i) => group.run(() => put.run(`k${i}`, i)).then(() => count.get())),
    );
    // Not yet committed when the step ran; committed (all 20, one transaction) when answered.
    expect(seen.every((n) => n === 20)).toBe(true);
    reader.close();
    await group.close();
  });

  it('commits pending steps when closed', async () => {
    const { db, file } = open();
    const group = groupCommit(db);
    const put = db.prepare<[string, number]>('INSERT INTO kv VALUES (?, ?)');
    const written = group.run(() => put.run('x', 1));
    await group.close();
    await written;
    const reader = new Database(file, { readonly: true });
    expect(reader.prepare('SELECT v FROM kv WHERE k = ?').pluck().get('x')).toBe(1);
    reader.close();
  });
});

describe('checkpoints in the background', () => {
  it('never checkpoints on the writer, yet the database file receives the WAL', async () => {
    const { db, file } = open();
    const group = groupCommit(db);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const empty = statSync(file).size;
    const put = db.prepare<[string, number]>('INSERT INTO kv VALUES (?, ?)');
    const long = 'k'.repeat(200);
    for (let turn = 0; turn < 10; turn++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => group.run(() => put.run(`${long}${turn}.${i}`, i))),
      );
    }
    // In WAL mode only a checkpoint writes the database file itself: here the worker's.
    await vi.waitFor(() => expect(statSync(file).size).toBeGreaterThan(empty + 100 * 200), {
      timeout: 10_000,
      interval: 20,
    });
    await group.close();
    const reader = new Database(file, { readonly: true });
    expect(reader.prepare('SELECT count(*) FROM kv').pluck().get()).toBe(1000);
    reader.close();
  });

  it('checkpoints only after commits: an idle database is left alone', async () => {
    const { db, file } = open();
    const checkpoints = checkpointInBackground(db);
    const put = db.prepare<[string, number]>('INSERT INTO kv VALUES (?, ?)');
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    try {
      // Idle: the worker looks at the commit count every few ms and finds nothing to do.
      await sleep(500);
      expect(checkpoints.runs()).toBe(0);
      // One commit: checkpointed once it is old enough, though no others gathered behind it.
      const empty = statSync(file).size;
      put.run('one', 1);
      checkpoints.afterCommit();
      await vi.waitFor(() => expect(checkpoints.runs()).toBe(1), { timeout: 5000, interval: 20 });
      expect(statSync(file).size).toBeGreaterThan(empty);
      // Nothing committed since: no further checkpoint.
      await sleep(500);
      expect(checkpoints.runs()).toBe(1);
      // A burst of commits: checkpointed again.
      for (let i = 0; i < 20; i++) {
        put.run(`burst${i}`, i);
        checkpoints.afterCommit();
      }
      await vi.waitFor(() => expect(checkpoints.runs()).toBeGreaterThanOrEqual(2), {
        timeout: 5000,
        interval: 20,
      });
    } finally {
      await checkpoints.close();
      db.close();
    }
  });
});
