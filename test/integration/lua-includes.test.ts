/**
 * Lua scripts with includes on a real Redis (the machine's at REDIS_URL, else a private
 * redis-server stopped by its PID): Redis caches and runs the resolved text, and its errors,
 * which number the lines of that text, also name the file and line they came from, whether
 * the failing line sits in the script or in a fragment it includes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lib/config.js';
import { silentLog } from '../../src/lib/log.js';
import { resolveLua } from '../../src/lib/lua-includes.js';
import { connectRedis, type Redis } from '../../src/lib/redis.js';
import { defineScripts } from '../../src/lib/redis-scripts.js';
import { redisProcesses, testRedisUrl } from '../support/redis.js';

const KEY = `t:${randomUUID()}:counter`;
const processes = redisProcesses();
const work = mkdtempSync(join(tmpdir(), 'lua-includes-'));
let redis: Redis;

const FILES: Record<string, string[]> = {
  'fragments/arith.lua': [
    '-- A fragment whose second function fails on nil.',
    'local function double(x) return 2 * x end',
    'local function half(x) return x / 2 end',
    'local function broken(x) return x + nil end',
  ],
  'lua/in_fragment.lua': [
    '-- fails in the fragment',
    '--- @include "../fragments/arith"',
    'return broken(1)',
  ],
  'lua/in_script.lua': [
    '--- @include "../fragments/arith"',
    'local twice = double(2)',
    "return redis.call('INCRBY', KEYS[1], 'not a number')",
  ],
  'lua/works.lua': ['--- @include "../fragments/arith"', 'return double(tonumber(ARGV[1]))'],
};

beforeAll(async () => {
  for (const [path, lines] of Object.entries(FILES)) {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), `${lines.join('\n')}\n`);
  }
  redis = connectRedis({ ...loadConfig().redis, url: await testRedisUrl(processes) }, 'test', silentLog());
});

afterAll(async () => {
  redis.disconnect();
  await processes.stopAll();
  rmSync(work, { recursive: true, force: true });
});

const dir = () => pathToFileURL(`${work}/lua/`);

describe('scripts with includes on Redis', () => {
  it('run as resolved, cached by the SHA1 of the resolved text (EVALSHA)', async () => {
    const lua = defineScripts(redis, dir(), 'includes', ['works']);
    expect(await lua.works([], ['21'])).toBe(42);
    const sha = createHash('sha1')
      .update(resolveLua(new URL('works.lua', dir())).lua)
      .digest('hex');
    expect(await redis.script('EXISTS', sha)).toEqual([1]);
  });

  it('name the fragment file and line of an error raised in a fragment', async () => {
    const lua = defineScripts(redis, dir(), 'includes', ['in_fragment']);
    const error = await lua.in_fragment([], []).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(Error);
    // Line 5 of the resolved text: the script's comment, then the fragment's four lines.
    expect((error as Error).message).toMatch(
      /user_script:5 \(.*fragments\/arith\.lua:4\): attempt to perform/,
    );
  });

  it('name the script file and line of an error raised after an include', async () => {
    const lua = defineScripts(redis, dir(), 'includes', ['in_script']);
    const error = await lua.in_script([KEY], []).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/not an integer.*@user_script:6 \(.*lua\/in_script\.lua:3\)/);
    expect(await redis.exists(KEY)).toBe(0);
  });
});
