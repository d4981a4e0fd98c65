/**
 * The compose gateway: deploy/nginx/gateway.conf.template rendered the way the nginx image
 * renders it (envsubst of the names NGINX_ENVSUBST_FILTER lets through, values from the
 * resolved compose file), then checked by the real nginx binary (`nginx -t`).
 *
 * Three substitutions make the check runnable outside the container, and are all it changes:
 * upstream host names become 127.0.0.1 (nginx -t resolves them, and order-1 only exists on
 * the compose network), the worker user becomes the current user (the image's `nginx` user
 * does not exist here), and the pid and temp paths move to a private directory.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/helm.js';
import { generatedSecrets } from '../support/compose-secrets.js';

const NGINX = '/usr/sbin/nginx';
const TEMPLATE = join(REPO_ROOT, 'deploy', 'nginx', 'gateway.conf.template');

interface Gateway {
  command?: string[];
  environment: Record<string, string>;
  volumes: string[];
}

let work = '';
let gateways: Record<string, Gateway> = {};
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'deploy-gateway-'));
  const out = execFileSync('docker-compose', ['-f', join(REPO_ROOT, 'deploy', 'compose.yaml'), 'config'], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...generatedSecrets() },
  });
  const services = (parse(out) as { services: Record<string, Gateway & { image: string }> }).services;
  gateways = Object.fromEntries(Object.entries(services).filter(([, s]) => s.image.startsWith('nginx:')));
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The nginx image's 20-envsubst-on-templates.sh: only names matching the filter are replaced. */
function envsubst(template: string, env: Record<string, string>): string {
  // The resolved file shows `$$` (compose's escape) as `$$`; the container sees one `$`.
  const filter = new RegExp((env['NGINX_ENVSUBST_FILTER'] ?? '.').replace(/\$\$/g, '$'));
  return template.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced, bare) => {
      const name = String(braced ?? bare);
      const value = env[name];
      return filter.test(name) && value !== undefined ? value : match;
    },
  );
}

function nginxTest(conf: string, name: string): { status: number | null; output: string } {
  const file = join(work, `${name}.conf`);
  writeFileSync(file, conf);
  // Output to a file: node's stdio pipes are sockets, which `error_log /dev/stderr` cannot open.
  const outFile = join(work, `${name}.out`);
  const out = openSync(outFile, 'w');
  try {
    const result = spawnSync(NGINX, ['-t', '-p', work, '-c', file], { stdio: ['ignore', out, out] });
    return { status: result.status, output: readFileSync(outFile, 'utf8') };
  } finally {
    closeSync(out);
  }
}

describe('compose gateway (nginx)', () => {
  it('mounts the shared template where the nginx image renders it to /etc/nginx/nginx.conf', () => {
    expect(Object.keys(gateways).sort()).toEqual(['gateway', 'gateway-small']);
    for (const gateway of Object.values(gateways)) {
      expect(gateway.volumes).toContain(`${TEMPLATE}:/etc/nginx/templates/nginx.conf.template:ro`);
      expect(gateway.environment['NGINX_ENVSUBST_OUTPUT_DIR']).toBe('/etc/nginx');
      // The template says `daemon off;` itself: the image's default `-g 'daemon off;'` would clash.
      expect(gateway.command).toEqual(['nginx']);
    }
  });

  it.each(['gateway', 'gateway-small'])('%s: the rendered configuration passes nginx -t', (name) => {
    const env = gateways[name]?.environment ?? {};
    const rendered = envsubst(readFileSync(TEMPLATE, 'utf8'), env);
    expect(rendered).not.toMatch(/\$\{[A-Z_]+\}/);
    expect(rendered).toContain(`listen ${env['LISTEN']} `);
    const local = envsubst(readFileSync(TEMPLATE, 'utf8'), {
      ...env,
      WORKER_USER: userInfo().username,
      PID_FILE: join(work, `${name}.pid`),
      TEMP_DIR: work,
      ORDER_SERVERS: (env['ORDER_SERVERS'] ?? '').replace(/server [^:\s]+:/g, 'server 127.0.0.1:'),
      STOCK_SERVERS: (env['STOCK_SERVERS'] ?? '').replace(/server [^:\s]+:/g, 'server 127.0.0.1:'),
      PAYMENT_SERVERS: (env['PAYMENT_SERVERS'] ?? '').replace(/server [^:\s]+:/g, 'server 127.0.0.1:'),
    });
    const result = nginxTest(local, name);
    expect(result.output).toContain('test is successful');
    expect(result.status).toBe(0);
  });

  it("answers 404 itself for the services' /metrics and /admin routes, before any proxy_pass location", () => {
    const template = readFileSync(TEMPLATE, 'utf8');
    const deny = /location ~\* (\S+) \{\s*return 404 [^}]*\}/.exec(template);
    // The regex location (nginx's PCRE, case-insensitive) matches the operators' paths, no API path.
    const pattern = new RegExp(deny?.[1] ?? '$^', 'i');
    for (const path of ['/metrics', '/admin/sagas/1', '//Metrics', '/ADMIN'])
      expect(pattern.test(path), path).toBe(true);
    for (const path of ['/orders/find/admin', '/stock/find/metrics', '/administrator'])
      expect(pattern.test(path), path).toBe(false);
    // Nothing else in the gateway forwards a path outside the three API prefixes.
    const proxied = [...template.matchAll(/location ([^{]+) \{\s*proxy_pass/g)].map((m) => m[1]);
    expect(proxied).toEqual(['/orders/', '/stock/', '/payment/']);
  });

  it('nginx -t fails on a broken rendering (the check can fail)', () => {
    const env = gateways['gateway']?.environment ?? {};
    const broken = envsubst(readFileSync(TEMPLATE, 'utf8'), {
      ...env,
      WORKER_USER: userInfo().username,
      PID_FILE: join(work, 'broken.pid'),
      TEMP_DIR: work,
      ORDER_SERVERS: 'server 127.0.0.1:8080 max_fails=one;',
      STOCK_SERVERS: 'server 127.0.0.1:8080;',
      PAYMENT_SERVERS: 'server 127.0.0.1:8080;',
    });
    const result = nginxTest(broken, 'broken');
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/max_fails/);
  });
});
