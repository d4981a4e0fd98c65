/**
 * The include directive of the Lua scripts, as BullMQ has it: a line `--- @include "path"`
 * stands for the file `path.lua`, relative to the file holding the line. Fragments define
 * `local function`s (and constants) that several scripts share; a script stays one atomic unit
 * sent to Redis whole, so inclusion is textual and happens once, at start-up.
 *
 * Resolution is strict, so that a slip fails when the service starts rather than as a Lua
 * error at the first call: a missing file, a directive not of the exact form, or a cycle
 * throws. A fragment included twice (directly or through another fragment) is inserted the
 * first time only: a second `local function` of the same name would shadow the first.
 *
 * Inclusion shifts the script's lines, so the resolved script keeps where each of its lines
 * came from, and `locate` appends that origin to the `user_script:<line>` Redis names in its
 * errors (`user_script:31 (services/lua-includes/op_record.lua:12)`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A script with its includes resolved, and the origin of each of its lines. */
export interface ResolvedLua {
  lua: string;
  /** `origins[i]` is `file:line` of line i + 1 of `lua`, the file relative to the source root. */
  origins: readonly string[];
}

/** A line that means to be a directive: anything else starting `--` is a comment. */
const DIRECTIVE = /^-{2,}\s*@include\b/;
/** The only form a directive may take. */
const INCLUDE = /^--- @include "([\w./-]+)"$/;

/** The folder that names are shown relative to: src/ (or dist/), the parent of lib/. */
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** Reads `file` and resolves its includes, recursively. */
export function resolveLua(file: URL): ResolvedLua {
  const lines: string[] = [];
  const origins: string[] = [];
  const included = new Set<string>();

  /** Appends the lines of `at`; `chain` is the files including it, outermost first. */
  function insert(at: URL, chain: readonly string[]): void {
    const path = fileURLToPath(at);
    const name = relative(ROOT, path);
    included.add(path);
    readFileSync(at, 'utf8')
      .replace(/\n$/, '')
      .split('\n')
      .forEach((line, index) => {
        const where = `${name}:${index + 1}`;
        const include = INCLUDE.exec(line)?.[1];
        if (include === undefined && DIRECTIVE.test(line))
          throw new Error(`${where}: an include is written --- @include "relative/path" (no .lua)`);
        const target = include === undefined ? undefined : new URL(`${include}.lua`, at);
        if (target !== undefined && [...chain, path].includes(fileURLToPath(target)))
          throw new Error(`${where}: include cycle through ${relative(ROOT, fileURLToPath(target))}`);
        if (target === undefined || included.has(fileURLToPath(target))) {
          // Lines of the file itself, and a repeated directive (a comment to Lua) left as is.
          lines.push(line);
          origins.push(where);
        } else if (!existsSync(target)) {
          throw new Error(`${where}: no such include ${relative(ROOT, fileURLToPath(target))}`);
        } else {
          insert(target, [...chain, path]);
        }
      });
  }

  insert(file, []);
  return { lua: lines.join('\n'), origins };
}

/** Appends to each `user_script:<line>` in a Redis error the file and line it came from. */
export function locate(error: unknown, origins: readonly string[]): unknown {
  if (!(error instanceof Error)) return error;
  error.message = error.message.replace(/user_script:(\d+)/g, (named: string, line: string) => {
    const origin = origins[Number(line) - 1];
    return origin === undefined ? named : `${named} (${origin})`;
  });
  return error;
}
