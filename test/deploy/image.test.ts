/**
 * Static checks of the container image recipe (Dockerfile, .dockerignore): no Docker engine runs
 * here, so nothing is built. The Dockerfile is linted (dockerfile-utils, the VS Code Docker
 * linter), its stages are checked for what the deployment relies on, and the two commands it
 * embeds, the entry point and the health check, are run for real with the node of this machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/helm.js';

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

const DOCKERFILE = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const DOCKERIGNORE = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8');
const SERVICES = ['order', 'stock', 'payment'] as const;

/** Instructions with line continuations joined and comments dropped, grouped by stage. */
function stages(): Stage[] {
  const logical = DOCKERFILE.replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const result: Stage[] = [];
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const [from = '', , name] = rest;
      result.push({ from, name, instructions: [] });
    } else if (keyword.toUpperCase() !== 'ARG' || result.length > 0) {
      result.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return result;
}

function argsOf(stage: Stage | undefined, keyword: string): string[] {
  return (stage?.instructions ?? []).filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** The JSON array of an exec-form instruction (ENTRYPOINT, HEALTHCHECK ... CMD). */
function execForm(text: string): string[] {
  return JSON.parse(text.slice(text.indexOf('['))) as string[];
}

let work = '';
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'deploy-image-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('Dockerfile', () => {
  it('passes the Dockerfile linter without a diagnostic', () => {
    expect(validate(DOCKERFILE)).toEqual([]);
    // The linter does report real mistakes (the check can fail).
    expect(validate('FROM node:20\nRUNN npm ci\nUSER\n').length).toBeGreaterThanOrEqual(2);
  });

  it('builds with dev dependencies and a C++ toolchain, and runs with production dependencies only', () => {
    const [build, runtime, ...more] = stages();
    expect(more).toEqual([]);
    expect(build?.name).toBe('build');
    const buildRuns = argsOf(build, 'RUN').join('\n');
    expect(buildRuns).toMatch(/apt-get install .*python3 make g\+\+/);
    expect(buildRuns).toMatch(/npm ci\b/);
    expect(buildRuns).toMatch(/npm run build && npm prune --omit=dev/);

    expect(runtime?.from).toBe(build?.from);
    expect(DOCKERFILE).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(argsOf(runtime, 'RUN')).toEqual([]); // nothing installed, nothing compiled at run time
    expect(argsOf(runtime, 'COPY').sort()).toEqual([
      '--from=build /app/dist ./dist',
      '--from=build /app/node_modules ./node_modules',
      '--from=build /app/package.json ./package.json',
    ]);
  });

  it('runs as a numeric non-root user, on port 8080 of all interfaces, with a HEALTHCHECK on /health', () => {
    const runtime = stages()[1];
    const user = argsOf(runtime, 'USER').at(-1) ?? '';
    expect(user).toMatch(/^[1-9][0-9]*:[1-9][0-9]*$/);
    expect(argsOf(runtime, 'EXPOSE')).toEqual(['8080']);
    const env = argsOf(runtime, 'ENV').join(' ');
    expect(env).toMatch(/\bPORT=8080\b/);
    expect(env).toMatch(/\bHOST=0\.0\.0\.0\b/);
    expect(argsOf(runtime, 'HEALTHCHECK').join(' ')).toContain("'/health'");
  });

  it('starts the service named by the argument or by SERVICE, and refuses any other name', () => {
    const entrypoint = execForm(argsOf(stages()[1], 'ENTRYPOINT')[0] ?? '');
    // A stand-in `node` that prints its arguments: the real one would start the service.
    const bin = join(work, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'node'), '#!/bin/sh\necho "node $*"\n');
    chmodSync(join(bin, 'node'), 0o755);
    const run = (args: string[], service?: string) => {
      const [command = '', ...rest] = entrypoint;
      const env: Record<string, string> = { PATH: `${bin}:/usr/bin:/bin` };
      if (service) env['SERVICE'] = service;
      return spawnSync(command, [...rest, ...args], { env, encoding: 'utf8' });
    };
    for (const service of SERVICES) {
      expect(run([service]).stdout.trim()).toBe(`node dist/services/${service}/main.js`);
      expect(run([], service).stdout.trim()).toBe(`node dist/services/${service}/main.js`);
      // What the path points at: tsc maps src/services/<name>/main.ts to it.
      expect(existsSync(join(REPO_ROOT, 'src', 'services', service, 'main.ts'))).toBe(true);
    }
    expect(run(['stock'], 'order').stdout.trim()).toBe('node dist/services/stock/main.js');
    const refused = run(['shipping']);
    expect(refused.status).toBe(64);
    expect(refused.stderr).toContain('usage');
  });

  it('reports healthy only while GET /health answers 2xx', async () => {
    const command = execForm(argsOf(stages()[1], 'HEALTHCHECK')[0] ?? '');
    let status = 200;
    const server = http.createServer((request, response) => {
      response.statusCode = request.url === '/health' ? status : 404;
      response.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = String((server.address() as AddressInfo).port);
    try {
      expect(await exitCode(command, port)).toBe(0);
      status = 503;
      expect(await exitCode(command, port)).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await exitCode(command, port)).toBe(1); // nothing listens any more
  });
});

/** Runs an exec-form command (its `node` is this node) with PORT set; resolves to its exit code. */
function exitCode(command: string[], port: string): Promise<number | null> {
  const [program = '', ...args] = command;
  const child = spawn(program === 'node' ? process.execPath : program, args, {
    env: { PORT: port },
    stdio: 'ignore',
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('.dockerignore', () => {
  const ignored = DOCKERIGNORE.split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('keeps host dependencies, build output, git and local data out of the build context', () => {
    for (const entry of ['**/node_modules', 'dist', '.git', '.cluster', 'data']) {
      expect(ignored).toContain(entry);
    }
  });

  it('keeps what the build stage copies and builds from', () => {
    for (const needed of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'src',
    ]) {
      expect(existsSync(join(REPO_ROOT, needed)), needed).toBe(true);
      expect(ignored.some((entry) => entry === needed || needed.startsWith(`${entry}/`))).toBe(false);
    }
  });
});
