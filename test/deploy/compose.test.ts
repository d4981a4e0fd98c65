/**
 * Static checks of deploy/compose.yaml: Debian's docker-compose (1.29) validates and resolves
 * the file (no Docker engine is needed for `config`), and the resolved file is checked for the
 * topology of each profile. No container is started here; docs/deploy.md lists what that leaves
 * unproven.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/helm.js';
import { ORDER_ONLY, SET_BY_DEPLOYMENT, TUNABLE } from '../support/service-env.js';
import { GEN_SECRETS, generatedSecrets } from '../support/compose-secrets.js';

const COMPOSE_FILE = join(REPO_ROOT, 'deploy', 'compose.yaml');
const SERVICES = ['order', 'stock', 'payment'] as const;

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  profiles?: string[];
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  volumes?: (string | { type: string; source: string; target: string })[];
  ports?: unknown[];
  hostname?: string;
  networks?: Record<string, { aliases?: string[] } | null>;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

const resolutions = new Map<string, ComposeFile>();

/** The file as docker-compose resolves it: anchors merged, ${VARS} interpolated from `env`. */
function resolved(env: Record<string, string> = {}): ComposeFile {
  const key = JSON.stringify(env);
  const cached = resolutions.get(key);
  if (cached) return cached;
  const out = execFileSync('docker-compose', ['-f', COMPOSE_FILE, '-p', 'checkout-saga', 'config'], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...generatedSecrets(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const file = parse(out) as ComposeFile;
  resolutions.set(key, file);
  return file;
}

function inProfile(file: ComposeFile, profile: string): Record<string, ComposeService> {
  return Object.fromEntries(Object.entries(file.services).filter(([, s]) => s.profiles?.includes(profile)));
}

/** Replicas of an application service: containers of our image started with that service's name. */
function replicasOf(services: Record<string, ComposeService>, service: string): [string, ComposeService][] {
  return Object.entries(services).filter(([, s]) => s.command?.length === 1 && s.command[0] === service);
}

function env(service: ComposeService): Record<string, string | null> {
  return service.environment ?? {};
}

function volumeSources(service: ComposeService): string[] {
  return (service.volumes ?? []).map((v) => (typeof v === 'string' ? (v.split(':')[0] ?? '') : v.source));
}

describe('deploy/compose.yaml', () => {
  it('refuses to start without the generated credentials, and gen-secrets.sh makes every one it needs', () => {
    let message = '';
    try {
      execFileSync('docker-compose', ['-f', COMPOSE_FILE, '-p', 'checkout-saga', 'config'], {
        encoding: 'utf8',
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      message = String((error as { stderr?: string }).stderr ?? error);
    }
    expect(message).toMatch(/run sh deploy\/gen-secrets\.sh/);
    const text = readFileSync(COMPOSE_FILE, 'utf8');
    const required = [...new Set([...text.matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1]))].sort();
    const generated = generatedSecrets();
    expect(required.filter((name) => !name || !(name in generated))).toEqual([]);
    for (const [name, value] of Object.entries(generated)) {
      if (name !== 'RABBITMQ_USER') expect(value, name).toMatch(/^[A-Za-z0-9]{40}$/);
    }
    // Each run makes new values: no two installations share a credential.
    const dir = mkdtempSync(join(tmpdir(), 'gen-secrets-'));
    execFileSync('sh', [GEN_SECRETS, join(dir, 'env')], { stdio: 'ignore' });
    const again = readFileSync(join(dir, 'env'), 'utf8');
    // It never overwrites an installation's file.
    expect(spawnSync('sh', [GEN_SECRETS, join(dir, 'env')], { encoding: 'utf8' }).status).not.toBe(0);
    rmSync(dir, { recursive: true, force: true });
    expect(again).not.toContain(generated['REDIS_ADMIN_PASSWORD']);
    expect(text).not.toMatch(/guest|change-me|(USER|PASSWORD|COOKIE):-/);
  });

  it('is a valid compose file for docker-compose, each service in exactly one profile', () => {
    const file = resolved();
    for (const [name, service] of Object.entries(file.services)) {
      expect(service.profiles?.length, name).toBe(1);
      expect(['full', 'small', 'monitoring']).toContain(service.profiles?.[0]);
    }
  });

  it('full: gateway on 8000, two replicas per service, Redis master+replicas, three Sentinels, three RabbitMQ nodes', () => {
    const services = inProfile(resolved(), 'full');
    const gateway = services['gateway'];
    expect(JSON.stringify(gateway?.ports)).toContain('8000');
    for (const service of SERVICES) {
      const replicas = replicasOf(services, service);
      expect(replicas.length, service).toBeGreaterThanOrEqual(2);
      expect(Object.keys(gateway?.depends_on ?? {})).toEqual(
        expect.arrayContaining(replicas.map(([n]) => n)),
      );
      const servers = env(gateway ?? {})[`${service.toUpperCase()}_SERVERS`] ?? '';
      expect(servers.match(/server \S+:8080/g)?.sort()).toEqual(
        replicas.map(([n]) => `server ${n}:8080`).sort(),
      );

      // One Redis group per service: every node lists the same group of at least two nodes,
      // and every node of that group is a compose service with its own named volume.
      const group = Object.entries(services).filter(
        ([, s]) => env(s)['REDIS_SELF'] && env(s)['REDIS_MASTER_NAME'] === service,
      );
      const members = (env(group[0]?.[1] ?? {})['REDIS_GROUP'] ?? '').split(',');
      expect(members.length).toBeGreaterThanOrEqual(2);
      expect(group.map(([n]) => n).sort()).toEqual([...members].sort());
      for (const [name, node] of group) {
        expect(env(node)['REDIS_GROUP']).toBe(members.join(','));
        expect(env(node)['REDIS_MIN_REPLICAS']).toBe('1');
        expect(volumeSources(node)).toContain(name);
      }
    }

    const sentinels = Object.entries(services).filter(([, s]) => env(s)['SENTINEL_SELF']);
    expect(sentinels).toHaveLength(3);
    for (const [name, sentinel] of sentinels) {
      expect(env(sentinel)['SENTINEL_SELF']).toBe(name);
      expect(env(sentinel)['SENTINEL_QUORUM']).toBe('2');
      const groups = (env(sentinel)['SENTINEL_GROUPS'] ?? '').split(' ').map((g) => g.split('=')[0]);
      expect(groups).toEqual([...SERVICES]);
    }

    const conf = readFileSync(join(REPO_ROOT, 'deploy', 'compose', 'rabbitmq-cluster.conf'), 'utf8');
    const clusterNodes = [...conf.matchAll(/classic_config\.nodes\.\d+ = rabbit@(\S+)/g)].map((m) => m[1]);
    const rabbits = Object.entries(services).filter(([, s]) => s.image?.startsWith('rabbitmq:'));
    expect(rabbits.map(([, s]) => s.hostname).sort()).toEqual(clusterNodes.sort());
    expect(rabbits).toHaveLength(3);
    for (const [name, rabbit] of rabbits) {
      expect(rabbit.networks?.['default']?.aliases).toContain('rabbitmq');
      expect(volumeSources(rabbit)).toContain(name);
      // One cookie for the cluster, handed to rabbitmq-start.sh (which writes the cookie file)
      // under a name RabbitMQ itself does not read.
      expect(env(rabbit)['ERLANG_COOKIE']).toBe(generatedSecrets()['RABBITMQ_ERLANG_COOKIE']);
      expect(env(rabbit)['RABBITMQ_ERLANG_COOKIE']).toBeUndefined();
    }
  });

  it('small: one of each (services, Redis, Sentinel, RabbitMQ, gateway on 8000)', () => {
    const services = inProfile(resolved(), 'small');
    for (const service of SERVICES) {
      expect(replicasOf(services, service)).toHaveLength(1);
      const nodes = Object.values(services).filter(
        (s) => env(s)['REDIS_SELF'] && env(s)['REDIS_MASTER_NAME'] === service,
      );
      expect(nodes).toHaveLength(1);
      expect(env(nodes[0] ?? {})['REDIS_MIN_REPLICAS']).toBe('0');
    }
    expect(Object.values(services).filter((s) => env(s)['SENTINEL_SELF'])).toHaveLength(1);
    expect(Object.values(services).filter((s) => s.image?.startsWith('rabbitmq:'))).toHaveLength(1);
    expect(JSON.stringify(services['gateway-small']?.ports)).toContain('8000');
  });

  it('waits on healthchecks, restarts everything and keeps state in declared named volumes', () => {
    const file = resolved();
    for (const [name, service] of Object.entries(file.services)) {
      expect(service.healthcheck?.test.length, `${name} healthcheck`).toBeGreaterThan(0);
      expect(service.restart, name).toBe('unless-stopped');
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(condition, `${name} -> ${dependency}`).toBe('service_healthy');
        expect(file.services[dependency]?.profiles, `${name} -> ${dependency}`).toEqual(service.profiles);
      }
      for (const source of volumeSources(service)) {
        if (source.startsWith('/')) expect(existsSync(source), `${name} mounts ${source}`).toBe(true);
        else expect(Object.keys(file.volumes), `${name} volume ${source}`).toContain(source);
      }
    }
  });

  it('gives every service replica the environment of `npm run cluster`, tuning passed through from the shell', () => {
    for (const [profile, sentinels, wait] of [
      ['full', ['sentinel-1', 'sentinel-2', 'sentinel-3'], '1'],
      ['small', ['sentinel'], '0'],
    ] as const) {
      const services = inProfile(resolved({ SAGA_LEASE_MS: '3000' }), profile);
      const ids = new Set<string>();
      for (const service of SERVICES) {
        for (const [name, replica] of replicasOf(services, service)) {
          const vars = env(replica);
          const own = service === 'order' ? ORDER_ONLY : [];
          expect(Object.keys(vars).sort(), name).toEqual([...SET_BY_DEPLOYMENT, ...TUNABLE, ...own].sort());
          expect(vars).toMatchObject({ PORT: '8080', HOST: '0.0.0.0', REDIS_MASTER_NAME: service });
          expect(vars['REDIS_WAIT_REPLICAS']).toBe(wait);
          expect(vars['REDIS_SENTINELS']?.split(',')).toEqual(sentinels.map((s) => `${s}:26379`));
          expect(vars['AMQP_URL']).toMatch(/^amqp:\/\/[^@]+@rabbitmq:5672$/);
          // Credentials of this installation (deploy/.env), never a default.
          const secrets = generatedSecrets();
          expect(vars['AMQP_URL']).toBe(
            `amqp://${secrets['RABBITMQ_USER']}:${secrets['RABBITMQ_PASSWORD']}@rabbitmq:5672`,
          );
          expect(vars['REDIS_USERNAME']).toBe(service);
          expect(vars['REDIS_PASSWORD']).toBe(secrets[`REDIS_${service.toUpperCase()}_PASSWORD`]);
          expect(vars['REDIS_SENTINEL_USERNAME']).toBe('client');
          expect(vars['REDIS_SENTINEL_PASSWORD']).toBe(secrets['SENTINEL_CLIENT_PASSWORD']);
          expect(vars['SAGA_LEASE_MS']).toBe('3000');
          expect(vars['SAGA_DEADLINE_MS']).toBeNull(); // unset in the shell: the service's default
          ids.add(vars['INSTANCE_ID'] ?? '');
          for (const sentinel of sentinels) expect(Object.keys(replica.depends_on ?? {})).toContain(sentinel);
        }
      }
      expect(ids.size).toBe(SERVICES.length * (profile === 'full' ? 2 : 1));
    }
  });

  it('gives ADMIN_TOKEN to the order replicas only; one per profile publishes its port on 127.0.0.1 alone', () => {
    const file = resolved({ ADMIN_PORT: '9181' });
    const token = generatedSecrets()['ADMIN_TOKEN'] ?? '';
    expect(token).toMatch(/^[A-Za-z0-9]{40}$/);
    for (const profile of ['full', 'small']) {
      const services = inProfile(file, profile);
      for (const service of SERVICES) {
        for (const [name, replica] of replicasOf(services, service)) {
          expect(env(replica)['ADMIN_TOKEN'], name).toBe(service === 'order' ? token : undefined);
        }
      }
      // Published ports of the profile: the gateway's, and the admin port of one order replica,
      // bound to the loopback address (the console is for the operator on this host).
      const published = Object.entries(services).flatMap(([name, s]) =>
        (s.ports ?? []).map((p) => [name, JSON.stringify(p)] as const),
      );
      const admin = published.filter(([, port]) => port.includes('9181'));
      expect(admin).toHaveLength(1);
      const [owner, port] = admin[0] ?? ['', ''];
      expect(services[owner]?.command).toEqual(['order']);
      expect(port).toBe('"127.0.0.1:9181:8080/tcp"');
      expect(published.filter(([name]) => !name.startsWith('gateway') && name !== owner)).toEqual([]);
    }
    // Nothing runs with a default token: without the env file compose refuses (first test).
    expect(readFileSync(COMPOSE_FILE, 'utf8')).toMatch(/ADMIN_TOKEN: '\$\{ADMIN_TOKEN:\?/);
  });
});
