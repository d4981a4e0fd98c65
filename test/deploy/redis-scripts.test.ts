/**
 * The start scripts of the Redis nodes and Sentinels (deploy/helm/checkout-saga/files), shared
 * by the Helm chart and compose. They decide who is master when a container (re)starts, so they
 * are run here for real: with stand-ins for redis-cli (answers scripted per case) and
 * redis-server (records the file it is given) to check the decision, then the generated files
 * are started by the real redis-server / redis-sentinel of this machine (Redis 7.0) on a unix
 * socket or a free loopback port, to prove Redis accepts them.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HASH_ENCODING,
  REPLICA_ACL,
  SENTINEL_CLIENT_ACL,
  SENTINEL_ON_REDIS_ACL,
  SENTINEL_PEER_ACL,
  SERVICE_ACL,
} from '../../src/cluster/redis-conf.js';
import { REPO_ROOT } from '../support/helm.js';
import { waitFor } from '../../src/lib/retry.js';

const FILES = join(REPO_ROOT, 'deploy', 'helm', 'checkout-saga', 'files');
const REDIS_START = join(FILES, 'redis-start.sh');
const SENTINEL_START = join(FILES, 'sentinel-start.sh');
const MASTER_LOOKUP = join(FILES, 'master-lookup.sh');

// redis-cli stand-in: `SENTINEL get-master-addr-by-name NAME` answers $STUB_SENTINEL_<NAME>
// (empty: unknown; "down": no Sentinel reachable); `INFO replication` on host H answers
// role:master when H is in $STUB_MASTERS. Every call is logged.
const REDIS_CLI_STUB = `#!/bin/sh
host=""
while [ $# -gt 0 ]; do
  case "$1" in -h) host="$2"; shift 2 ;; -p | --user) shift 2 ;; --raw) shift ;; *) break ;; esac
done
echo "$host $*" >>"$STUB_LOG"
case "$1" in
  SENTINEL)
    eval "answer=\\"\\\${STUB_SENTINEL_$3:-}\\""
    [ "$answer" = down ] && exit 1
    if [ -n "$answer" ]; then printf '%s\\n6379\\n' "$answer"; else echo; fi ;;
  INFO)
    for m in $STUB_MASTERS; do
      if [ "$m" = "$host" ]; then printf '# Replication\\nrole:master\\n'; exit 0; fi
    done
    printf '# Replication\\nrole:slave\\n' ;;
esac
`;
const REDIS_SERVER_STUB = '#!/bin/sh\ncp "$1" "$STUB_OUT"\n';
// getent stand-in: every name resolves except those in $STUB_UNRESOLVABLE.
const GETENT_STUB = `#!/bin/sh
echo "getent $*" >>"$STUB_LOG"
case " $STUB_UNRESOLVABLE " in *" $2 "*) exit 2 ;; esac
echo "127.0.0.1 $2"
`;

let work = '';
const children: ChildProcess[] = [];
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'deploy-redis-scripts-'));
  mkdirSync(join(work, 'bin'));
  for (const [name, text] of [
    ['redis-cli', REDIS_CLI_STUB],
    ['redis-server', REDIS_SERVER_STUB],
    ['getent', GETENT_STUB],
  ] as const) {
    writeFileSync(join(work, 'bin', name), text);
    chmodSync(join(work, 'bin', name), 0o755);
  }
});
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** What compose and the chart give every node and Sentinel (deploy/gen-secrets.sh, the Secret). */
const SECRETS = {
  REDIS_SERVICE: 'order',
  REDIS_SERVICE_PASSWORD: 'pw-order',
  REDIS_ADMIN_PASSWORD: 'pw-admin',
  REDIS_REPLICA_PASSWORD: 'pw-replica',
  REDIS_SENTINEL_PASSWORD: 'pw-sentinel',
  SENTINEL_PEER_PASSWORD: 'pw-peer',
  SENTINEL_CLIENT_PASSWORD: 'pw-client',
};
const AS_ADMIN = ['--user', 'admin', '--pass', SECRETS.REDIS_ADMIN_PASSWORD, '--no-auth-warning'];

let runs = 0;
/** Runs a start script with the stand-ins; returns the config it handed to redis-server. */
function runScript(script: string, env: Record<string, string>): { conf: string; calls: string[] } {
  const dir = join(work, `run-${++runs}`);
  mkdirSync(dir);
  const result = spawnSync('sh', [script], {
    env: {
      PATH: `${join(work, 'bin')}:/usr/bin:/bin`,
      STUB_LOG: join(dir, 'calls.log'),
      STUB_OUT: join(dir, 'out.conf'),
      REDIS_DATA_DIR: dir,
      SENTINEL_CONF: join(dir, 'sentinel.conf'),
      ...SECRETS,
      ...env,
    },
    encoding: 'utf8',
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  const calls = existsSync(join(dir, 'calls.log')) ? readFileSync(join(dir, 'calls.log'), 'utf8') : '';
  return { conf: readFileSync(join(dir, 'out.conf'), 'utf8'), calls: calls.trim().split('\n') };
}

const GROUP = {
  REDIS_GROUP: 'redis-a,redis-b,redis-c',
  REDIS_MASTER_NAME: 'order',
  REDIS_SENTINELS: 's1:26379,s2:26379',
};

function replicaOf(conf: string): string | undefined {
  return /^replicaof (\S+) 6379$/m.exec(conf)?.[1];
}

/** Every one of `expected` is a whole line of the generated file `conf`. */
function expectLines(conf: string, expected: readonly string[]): void {
  const lines = conf.split('\n');
  for (const line of expected) expect(lines).toContain(line);
}

describe('shell scripts', () => {
  it('pass shellcheck as POSIX sh (busybox ash in the redis alpine image)', () => {
    // -x follows the `. master-lookup.sh` both scripts source.
    const result = spawnSync('shellcheck', ['-x', '-s', 'sh', REDIS_START, SENTINEL_START, MASTER_LOOKUP], {
      encoding: 'utf8',
    });
    expect(result.error).toBeUndefined(); // installed by test/support/packages.ts
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('redis-start.sh', () => {
  it('follows the master the Sentinels name, itself included', () => {
    const asked = runScript(REDIS_START, { ...GROUP, REDIS_SELF: 'redis-a', STUB_SENTINEL_order: 'redis-b' });
    expect(replicaOf(asked.conf)).toBe('redis-b');
    const self = runScript(REDIS_START, { ...GROUP, REDIS_SELF: 'redis-b', STUB_SENTINEL_order: 'redis-b' });
    expect(replicaOf(self.conf)).toBeUndefined();
  });

  it('without Sentinels, follows the node of its group that says it is master', () => {
    const { conf, calls } = runScript(REDIS_START, {
      ...GROUP,
      REDIS_SELF: 'redis-a',
      STUB_SENTINEL_order: 'down',
      STUB_MASTERS: 'redis-c',
    });
    expect(replicaOf(conf)).toBe('redis-c');
    expect(calls.filter((c) => c.startsWith('s'))).toHaveLength(2); // both Sentinels were asked
  });

  it('on a first start (nobody knows a master) the first node of the group is master', () => {
    const first = runScript(REDIS_START, { ...GROUP, REDIS_SELF: 'redis-a' });
    expect(replicaOf(first.conf)).toBeUndefined();
    const second = runScript(REDIS_START, { ...GROUP, REDIS_SELF: 'redis-b' });
    expect(replicaOf(second.conf)).toBe('redis-a');
  });

  it('takes an error reply of a Sentinel for "unknown", not for a host name', () => {
    const { conf } = runScript(REDIS_START, {
      ...GROUP,
      REDIS_SELF: 'redis-b',
      STUB_SENTINEL_order: 'ERR No such master with that name',
    });
    expect(replicaOf(conf)).toBe('redis-a');
  });

  it('locks the node down with the ACL rules of the cluster, word for word, and bounds its memory', () => {
    const { conf, calls } = runScript(REDIS_START, { ...GROUP, REDIS_SELF: 'redis-b' });
    expectLines(conf, [
      'user default off',
      'user admin on >pw-admin ~* &* +@all',
      `user order on >pw-order resetkeys ~order:* resetchannels ${SERVICE_ACL}`,
      `user replica on >pw-replica ${REPLICA_ACL}`,
      `user sentinel on >pw-sentinel ${SENTINEL_ON_REDIS_ACL}`,
      'masteruser replica',
      'masterauth pw-replica',
      'maxmemory 256mb',
      'maxmemory-policy noeviction',
      ...HASH_ENCODING.map(([name, value]) => `${name} ${value}`),
    ]);
    expect(
      runScript(REDIS_START, { ...GROUP, REDIS_SELF: 'redis-b', REDIS_MAXMEMORY: '1gb' }).conf,
    ).toContain('maxmemory 1gb\n');
    // Its questions to the Sentinels and nodes go as admin, the password never on the command line.
    expect(calls.every((c) => !c.includes('pw-admin'))).toBe(true);
    const missing = spawnSync('sh', [REDIS_START], {
      env: { PATH: '/usr/bin:/bin', ...GROUP, REDIS_SELF: 'redis-a', REDIS_SERVICE: 'order' },
      encoding: 'utf8',
    });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/REDIS_SERVICE_PASSWORD/);
  });

  it('writes the durability settings: AOF every second, min-replicas-to-write, announced name', () => {
    const { conf } = runScript(REDIS_START, { ...GROUP, REDIS_SELF: 'redis-b', REDIS_MIN_REPLICAS: '1' });
    expectLines(conf, [
      'appendonly yes',
      'appendfsync everysec',
      'min-replicas-to-write 1',
      'replica-announce-ip redis-b',
    ]);
  });
});

describe('sentinel-start.sh', () => {
  const GROUPS = 'order=ro-1,ro-2 stock=rs-1,rs-2 payment=rp-1,rp-2';

  it('watches, per group, the master its peers know, else the one that says so, else the first node', () => {
    const { conf, calls } = runScript(SENTINEL_START, {
      SENTINEL_SELF: 's1',
      SENTINEL_PEERS: 's1:26379,s2:26379',
      SENTINEL_GROUPS: GROUPS,
      SENTINEL_QUORUM: '2',
      STUB_SENTINEL_order: 'ro-2',
      STUB_MASTERS: 'rs-2',
    });
    const monitors = conf.split('\n').filter((line) => line.startsWith('sentinel monitor'));
    expect(monitors).toEqual([
      'sentinel monitor order ro-2 6379 2',
      'sentinel monitor stock rs-2 6379 2',
      'sentinel monitor payment rp-1 6379 2',
    ]);
    expect(calls.some((c) => c.startsWith('s1 '))).toBe(false); // never asks itself
    expect(conf).toContain('sentinel announce-hostnames yes');
    expect(conf).toContain('sentinel down-after-milliseconds order 5000');
    expectLines(conf, [
      'user default off',
      'user admin on >pw-admin allcommands allchannels',
      `user peer on >pw-peer ${SENTINEL_PEER_ACL}`,
      `user client on >pw-client ${SENTINEL_CLIENT_ACL}`,
      'sentinel sentinel-user peer',
      'sentinel sentinel-pass pw-peer',
      'sentinel auth-user order sentinel',
      'sentinel auth-pass payment pw-sentinel',
    ]);
  });

  it('waits, bounded, for a master name to resolve, then starts anyway (Sentinel would refuse it)', () => {
    const { conf, calls } = runScript(SENTINEL_START, {
      SENTINEL_SELF: 's1',
      SENTINEL_GROUPS: GROUPS,
      SENTINEL_RESOLVE_WAIT_S: '2',
      STUB_UNRESOLVABLE: 'ro-1',
    });
    expect(calls.filter((c) => c === 'getent hosts ro-1').length).toBe(3); // now, +1 s, +2 s
    expect(calls).toContain('getent hosts rs-1');
    expect(conf).toContain('sentinel monitor order ro-1 6379 2');
  });

  it('keeps the same Sentinel id across restarts, and a different one per Sentinel', () => {
    const env = { SENTINEL_GROUPS: GROUPS, SENTINEL_PEERS: '' };
    const id = (self: string) =>
      /^sentinel myid ([0-9a-f]{40})$/m.exec(
        runScript(SENTINEL_START, { ...env, SENTINEL_SELF: self }).conf,
      )?.[1];
    expect(id('s1')).toBe(id('s1'));
    expect(id('s1')).not.toBe(id('s2'));
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Polls `redis-cli ARGS` until it answers (bounded), returning its output. */
async function cli(args: string[]): Promise<string> {
  let output = '';
  const answered = await waitFor(() => {
    const result = spawnSync('redis-cli', args, { encoding: 'utf8' });
    output = result.stdout.trim();
    return result.status === 0 && !result.stdout.startsWith('Could not connect');
  }, 10_000);
  if (!answered) throw new Error(`redis-cli ${args.join(' ')} never answered`);
  return output;
}

describe('generated files on the real Redis', () => {
  it('redis-server accepts the node file and applies its settings', async () => {
    const { conf } = runScript(REDIS_START, { ...GROUP, REDIS_SELF: 'redis-a', REDIS_MIN_REPLICAS: '1' });
    const dir = join(work, 'real-redis');
    mkdirSync(dir);
    writeFileSync(join(dir, 'redis.conf'), conf.replace(/^dir .*$/m, `dir ${dir}`));
    const socket = join(dir, 'redis.sock');
    const child = spawn('redis-server', [join(dir, 'redis.conf'), '--port', '0', '--unixsocket', socket], {
      stdio: 'ignore',
    });
    children.push(child);
    try {
      expect(await cli([...AS_ADMIN, '-s', socket, 'CONFIG', 'GET', 'min-replicas-to-write'])).toBe(
        'min-replicas-to-write\n1',
      );
      expect(await cli([...AS_ADMIN, '-s', socket, 'CONFIG', 'GET', 'appendonly'])).toBe('appendonly\nyes');
      expect(await cli([...AS_ADMIN, '-s', socket, 'CONFIG', 'GET', 'maxmemory-policy'])).toBe(
        'maxmemory-policy\nnoeviction',
      );
      // Nobody without a password; the service only on its own keys, never a dangerous command.
      expect(await cli(['-s', socket, 'PING'])).toMatch(/NOAUTH/);
      const asOrder = ['--user', 'order', '--pass', 'pw-order', '--no-auth-warning', '-s', socket];
      // (Writes wait for a replica here: min-replicas-to-write 1. Reads show the key rule.)
      expect(await cli([...asOrder, 'EXISTS', 'order:k'])).toBe('0');
      expect(await cli([...asOrder, 'EXISTS', 'stock:k'])).toMatch(/NOPERM/);
      expect(await cli([...asOrder, 'FLUSHALL'])).toMatch(/NOPERM/);
      expect(await cli([...asOrder, 'CONFIG', 'SET', 'maxmemory', '0'])).toMatch(/NOPERM/);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('redis-sentinel accepts the Sentinel file and watches the three masters', async () => {
    const { conf } = runScript(SENTINEL_START, {
      SENTINEL_SELF: 'localhost',
      SENTINEL_GROUPS: 'order=localhost stock=localhost payment=localhost',
      SENTINEL_QUORUM: '1',
      REDIS_PORT: String(await freePort()),
    });
    const dir = join(work, 'real-sentinel');
    mkdirSync(dir);
    const file = join(dir, 'sentinel.conf');
    writeFileSync(file, conf.replace(/^dir .*$/m, `dir ${dir}`));
    const port = await freePort();
    const child = spawn('redis-sentinel', [file, '--bind', '127.0.0.1', '--port', String(port)], {
      stdio: 'ignore',
    });
    children.push(child);
    try {
      expect(await cli(['-p', String(port), 'SENTINEL', 'MASTERS'])).toMatch(/NOAUTH/);
      const masters = await cli([...AS_ADMIN, '-p', String(port), 'SENTINEL', 'MASTERS']);
      for (const name of ['order', 'stock', 'payment']) expect(masters.split('\n')).toContain(name);
      expect(
        execFileSync('redis-cli', [...AS_ADMIN, '-p', String(port), 'SENTINEL', 'MYID'], {
          encoding: 'utf8',
        }).trim(),
      ).toMatch(/^[0-9a-f]{40}$/);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
