/**
 * deploy/helm/checkout-saga/files/rabbitmq-start.sh, which installs the Erlang cookie as the
 * RabbitMQ node's cookie file (compose and the chart), run here with a stand-in command in
 * place of the image's entrypoint; and its wiring in compose and the chart. No RabbitMQ image
 * runs here: that the 3.13 image starts with it is not proven (docs/deploy.md).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  at,
  containers,
  find,
  parseManifests,
  renderChart,
  secretRef,
  useHelmHome,
} from '../support/chart.js';
import { generatedSecrets } from '../support/compose-secrets.js';
import { REPO_ROOT } from '../support/helm.js';

const SCRIPT = join(REPO_ROOT, 'deploy', 'helm', 'checkout-saga', 'files', 'rabbitmq-start.sh');
const work = mkdtempSync(join(tmpdir(), 'deploy-rabbitmq-start-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the script with HOME=home and the given cookie, the command printing what it sees. */
function start(
  home: string,
  cookie: string | undefined,
): { status: number | null; out: string; err: string } {
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home };
  if (cookie !== undefined) env['ERLANG_COOKIE'] = cookie;
  const result = spawnSync(
    'sh',
    [SCRIPT, 'sh', '-c', 'printf "started cookie-env=%s" "${ERLANG_COOKIE-unset}"'],
    {
      env,
      encoding: 'utf8',
    },
  );
  return { status: result.status, out: result.stdout, err: result.stderr };
}

describe('rabbitmq-start.sh', () => {
  it('passes shellcheck as POSIX sh (busybox ash in the rabbitmq alpine image)', () => {
    const result = spawnSync('shellcheck', ['-s', 'sh', SCRIPT], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('writes the cookie file owner-only, replaces a read-only one, and starts the command without the variable', () => {
    const home = mkdtempSync(join(work, 'home-'));
    const file = join(home, '.erlang.cookie');
    writeFileSync(file, 'cookie-of-an-earlier-start');
    chmodSync(file, 0o400);
    const run = start(home, 'A1b2C3d4E5f6G7h8I9j0');
    expect(run.err).toBe('');
    expect(run.status).toBe(0);
    expect(run.out).toBe('started cookie-env=unset');
    expect(readFileSync(file, 'utf8')).toBe('A1b2C3d4E5f6G7h8I9j0'); // no newline: Erlang reads it whole
    const stat = statSync(file);
    expect(stat.mode & 0o777).toBe(0o400);
    // As root (compose), the file goes to the image's rabbitmq user; otherwise it is the caller's.
    const owner =
      userInfo().uid === 0
        ? Number(execFileSync('id', ['-u', 'rabbitmq'], { encoding: 'utf8' }))
        : userInfo().uid;
    expect(stat.uid).toBe(owner);
  });

  it('refuses to start the node without a cookie', () => {
    const run = start(mkdtempSync(join(work, 'home-')), undefined);
    expect(run.status).not.toBe(0);
    expect(run.out).toBe('');
    expect(run.err).toMatch(/ERLANG_COOKIE is not set/);
  });
});

describe('rabbitmq-start.sh wiring', () => {
  const home = useHelmHome('deploy-rabbitmq-start-helm-');

  it('compose runs every RabbitMQ node through it, with the installation cookie', () => {
    const out = execFileSync('docker-compose', ['-f', join(REPO_ROOT, 'deploy', 'compose.yaml'), 'config'], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...generatedSecrets() },
    });
    type Service = {
      image: string;
      entrypoint?: string[];
      command?: string[];
      volumes?: string[];
      environment?: Record<string, string>;
    };
    const rabbits = Object.values((parse(out) as { services: Record<string, Service> }).services).filter(
      (s) => s.image.startsWith('rabbitmq:'),
    );
    expect(rabbits).toHaveLength(4); // three in `full`, one in `small`
    for (const rabbit of rabbits) {
      expect(rabbit.entrypoint).toEqual(['sh', '/scripts/rabbitmq-start.sh']);
      expect(rabbit.command).toEqual(['docker-entrypoint.sh', 'rabbitmq-server']);
      const scripts = join(REPO_ROOT, 'deploy', 'helm', 'checkout-saga', 'files');
      expect(rabbit.volumes).toContain(`${scripts}:/scripts:ro`);
      expect(rabbit.environment?.['ERLANG_COOKIE']).toBe(generatedSecrets()['RABBITMQ_ERLANG_COOKIE']);
      expect(Object.keys(rabbit.environment ?? {})).not.toContain('RABBITMQ_ERLANG_COOKIE');
    }
  });

  it('the chart runs the StatefulSet through the very same script, cookie from the amqp Secret', () => {
    const docs = parseManifests(renderChart(home()));
    const set = find(docs, 'StatefulSet', 'checkout-saga-rabbitmq');
    const [container] = containers(set) as (ReturnType<typeof containers>[number] & { command?: string[] })[];
    expect(container?.command).toEqual(['sh', '/scripts/rabbitmq-start.sh']);
    expect(container?.args).toEqual(['docker-entrypoint.sh', 'rabbitmq-server']);
    const env = container?.env ?? [];
    expect(secretRef(env.find((e) => e.name === 'ERLANG_COOKIE'))).toBe('checkout-saga-amqp/erlang-cookie');
    expect(env.map((e) => e.name)).not.toContain('RABBITMQ_ERLANG_COOKIE');
    const config = find(docs, 'ConfigMap', 'checkout-saga-rabbitmq-config');
    expect(at(config, 'data', 'rabbitmq-start.sh')).toBe(readFileSync(SCRIPT, 'utf8'));
    const mounts = at(set, 'spec', 'template', 'spec', 'containers', 0, 'volumeMounts') as {
      mountPath: string;
      subPath?: string;
    }[];
    expect(mounts).toContainEqual(
      expect.objectContaining({ mountPath: '/scripts/rabbitmq-start.sh', subPath: 'rabbitmq-start.sh' }),
    );
  });
});
