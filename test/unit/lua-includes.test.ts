/**
 * The include directive of the Lua scripts (src/lib/lua-includes.ts): fragments are inserted
 * where the directive stands, once per script however often they are asked for; a slip (no
 * such file, a malformed directive, a cycle) throws when the store is built, not at the first
 * call; and every line of the resolved script still knows its file and line, which is how a
 * Redis error keeps pointing at the right place (the Redis side: test/integration/lua-includes).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { locate, resolveLua } from '../../src/lib/lua-includes.js';
import { defineScripts } from '../../src/lib/redis-scripts.js';

const work = mkdtempSync(join(tmpdir(), 'lua-includes-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let dirs = 0;
/** Writes `files` (path -> lines) into a fresh folder; answers the URL of that folder. */
function tree(files: Record<string, string[]>): URL {
  const dir = join(work, `t${++dirs}`);
  for (const [path, lines] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), `${lines.join('\n')}\n`);
  }
  return pathToFileURL(`${dir}/`);
}

const at = (dir: URL, path: string) => new URL(path, dir);

describe('resolveLua', () => {
  const dir = tree({
    'lua/script.lua': [
      '-- the script',
      '--- @include "../fragments/a"',
      '--- @include "../fragments/b"',
      'return a() + b()',
    ],
    'fragments/a.lua': ['--- @include "b"', 'local function a() return b() end'],
    'fragments/b.lua': ['local function b()', '  return 1', 'end'],
  });

  it('puts each fragment in place of its directive, once, before what includes it', () => {
    const { lua } = resolveLua(at(dir, 'lua/script.lua'));
    expect(lua.split('\n')).toEqual([
      '-- the script',
      'local function b()',
      '  return 1',
      'end',
      'local function a() return b() end',
      // Already inserted through a.lua: the directive stays, a comment to Lua.
      '--- @include "../fragments/b"',
      'return a() + b()',
    ]);
  });

  it('knows the file and line every line of the resolved script came from', () => {
    const { lua, origins } = resolveLua(at(dir, 'lua/script.lua'));
    expect(origins).toHaveLength(lua.split('\n').length);
    const names = origins.map((origin) => origin.replace(/^.*\/t\d+\//, ''));
    expect(names).toEqual([
      'lua/script.lua:1',
      'fragments/b.lua:1',
      'fragments/b.lua:2',
      'fragments/b.lua:3',
      'fragments/a.lua:2',
      'lua/script.lua:3',
      'lua/script.lua:4',
    ]);
  });

  it('fails on an include that names no file, saying where', () => {
    const bad = tree({ 'lua/s.lua': ['local x = 1', '--- @include "../fragments/nope"'] });
    expect(() => resolveLua(at(bad, 'lua/s.lua'))).toThrow(
      /lua\/s\.lua:2: no such include .*fragments\/nope\.lua/,
    );
  });

  it('fails on a directive not of the one form, rather than taking it for a comment', () => {
    for (const line of ['-- @include "a"', '--- @include a', '--- @include "a.lua" ', '---@include "a"']) {
      const bad = tree({ 's.lua': [line], 'a.lua': ['local a = 1'] });
      expect(() => resolveLua(at(bad, 's.lua')), line).toThrow(/s\.lua:1: an include is written/);
    }
  });

  it('fails on a cycle, however long', () => {
    const self = tree({ 's.lua': ['--- @include "s"'] });
    expect(() => resolveLua(at(self, 's.lua'))).toThrow(/s\.lua:1: include cycle through .*s\.lua/);
    const loop = tree({
      's.lua': ['--- @include "a"'],
      'a.lua': ['--- @include "b"'],
      'b.lua': ['--- @include "a"'],
    });
    expect(() => resolveLua(at(loop, 's.lua'))).toThrow(/b\.lua:1: include cycle through .*a\.lua/);
  });
});

describe('defineScripts', () => {
  it('throws while the store is built when a script includes what is not there', () => {
    const bad = tree({
      'lua/ok.lua': ['return 1'],
      'lua/broken.lua': ['--- @include "missing"', 'return 1'],
    });
    const redis = new Redis({ lazyConnect: true });
    expect(() => defineScripts(redis, at(bad, 'lua/'), 'test', ['ok', 'broken'])).toThrow(
      /broken\.lua:1: no such include/,
    );
    redis.disconnect();
  });
});

describe('the scripts of the services', () => {
  const services = new URL('../../src/services/', import.meta.url);
  const scripts = readdirSync(services, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== 'lua-includes')
    .flatMap((entry) =>
      readdirSync(new URL(`${entry.name}/lua/`, services))
        .filter((name) => name.endsWith('.lua'))
        .map((name) => `${entry.name}/lua/${name}`),
    );

  it('all resolve, and define each local function once', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(19);
    for (const script of scripts) {
      const { lua } = resolveLua(new URL(script, services));
      const functions = [...lua.matchAll(/^local function (\w+)/gm)].map((match) => match[1]);
      expect(new Set(functions).size, script).toBe(functions.length);
    }
  });

  it('share the op record: every write of a client op id goes through write_once or create_once', () => {
    for (const script of scripts.filter((name) => /\/(add|add_funds|pay|subtract|add_item)\.lua$/.test(name)))
      expect(resolveLua(new URL(script, services)).lua, script).toMatch(/^return write_once\(/m);
    for (const script of scripts.filter((name) => /\/create_\w+\.lua$/.test(name)))
      expect(resolveLua(new URL(script, services)).lua, script).toMatch(/^return create_once\(/m);
  });
});

describe('locate', () => {
  const origins = ['services/x/lua/s.lua:1', 'services/lua-includes/f.lua:7'];

  it('appends the origin to each line Redis names, in both forms Redis 7 writes', () => {
    const error = new Error(
      'ERR user_script:2: attempt to compare nil with number script: 0123, on @user_script:2.',
    );
    expect(locate(error, origins)).toBe(error);
    expect(error.message).toBe(
      'ERR user_script:2 (services/lua-includes/f.lua:7): attempt to compare nil with number' +
        ' script: 0123, on @user_script:2 (services/lua-includes/f.lua:7).',
    );
  });

  it('leaves alone what names no line it knows, and what is not an Error', () => {
    const error = new Error('ERR value is not an integer script: 0123, on @user_script:9.');
    locate(error, origins);
    expect(error.message).toBe('ERR value is not an integer script: 0123, on @user_script:9.');
    expect(locate('no error', origins)).toBe('no error');
  });
});
