/**
 * Static checks of the Helm chart (deploy/helm/checkout-saga) and of the plain manifests
 * (deploy/k8s), which are the chart rendered with its default values. No cluster runs here:
 * the real helm binary lints and renders, and every object is validated against the
 * Kubernetes API schemas (test/support/k8s-schema.ts). What that does not prove is listed in
 * docs/deploy.md.
 *
 * deploy/k8s is regenerated with `npx vitest run test/deploy/k8s.test.ts -u`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'prettier';
import { describe, expect, it } from 'vitest';
import {
  at,
  byKind,
  CHART,
  containers,
  envOf,
  find,
  NAMESPACE,
  parseManifests,
  renderChart,
  secretRef,
  SERVICES,
  type Container,
  type EnvVar,
  useHelmHome,
} from '../support/chart.js';
import { helm, REPO_ROOT } from '../support/helm.js';
import { manifestName, schemaErrors, strictFieldErrors, type Manifest } from '../support/k8s-schema.js';
import {
  LEFT_AT_DEFAULT,
  ORDER_ONLY,
  SET_BY_DEPLOYMENT,
  TUNABLE,
  serviceConfigVariables,
} from '../support/service-env.js';

const K8S_DIR = join(REPO_ROOT, 'deploy', 'k8s');

const home = useHelmHome('deploy-k8s-');
const render = (...args: string[]): string => renderChart(home(), ...args);

const VARIANTS: Record<string, string[]> = {
  'default values (full HA topology)': [],
  'values-small.yaml (one of each)': ['-f', `${CHART}/values-small.yaml`],
  'values-external.yaml (external Redis and RabbitMQ)': ['-f', `${CHART}/values-external.yaml`],
  'no Ingress, no autoscaler': [
    '--set',
    'ingress.enabled=false',
    '--set',
    'services.order.autoscaling.enabled=false,services.stock.autoscaling.enabled=false',
  ],
};

describe('Helm chart', () => {
  it('passes helm lint --strict with each of its values files', () => {
    for (const values of [
      [],
      ['-f', `${CHART}/values-small.yaml`],
      ['-f', `${CHART}/values-external.yaml`],
    ]) {
      const out = helm(['lint', '--strict', CHART, ...values], home());
      expect(out).toContain('0 chart(s) failed');
    }
  });

  it('refuses values that break values.schema.json or leave an external endpoint empty', () => {
    expect(() => render('--set', 'env.PORT=9000')).toThrow(/PORT/);
    expect(() => render('--set', 'services.order.replicaz=3')).toThrow(/replicaz/);
    expect(() => render('--set', 'redis.enabled=false')).toThrow(/redis.external.sentinels is required/);
    expect(() => render('--set', 'rabbitmq.enabled=false')).toThrow(/rabbitmq.external.url is required/);
    // Combinations under which no write could be acknowledged.
    expect(() => render('--set', 'redis.nodes=1')).toThrow(/minReplicasToWrite/);
    expect(() => render('--set', 'redis.nodes=1,redis.minReplicasToWrite=0')).toThrow(/REDIS_WAIT_REPLICAS/);
    expect(() => render('--set', 'redis.sentinel.quorum=4')).toThrow(/quorum/);
  });

  it('renders, with each values variant, objects that validate against the Kubernetes schemas', async () => {
    const errors: string[] = [];
    const all: Manifest[] = [];
    for (const [variant, args] of Object.entries(VARIANTS)) {
      const docs = parseManifests(render(...args));
      expect(docs.length, variant).toBeGreaterThan(5);
      errors.push(...(await schemaErrors(docs)).map((e) => `${variant}: ${e}`));
      all.push(...docs);
    }
    // One compiler pass for all variants: it costs seconds, whatever the number of objects.
    errors.push(...strictFieldErrors(all));
    expect(errors).toEqual([]);
  });

  it('catches a misspelt field and a mistyped value (the validation can fail)', async () => {
    const docs = parseManifests(render());
    const deployment = structuredClone(find(docs, 'Deployment', 'checkout-saga-order'));
    const container = containers(deployment)[0] as unknown as Record<string, unknown>;
    container['readinesProbe'] = container['readinessProbe'];
    expect(strictFieldErrors([deployment]).join('\n')).toMatch(/readinesProbe/);
    (at(deployment, 'spec') as Record<string, unknown>)['replicas'] = 'two';
    expect((await schemaErrors([deployment])).join('\n')).toMatch(/replicas/);
  });

  it('runs each service as a Deployment with probes on /ready and /health, resources, a PDB and an HPA', () => {
    const docs = parseManifests(render());
    for (const service of SERVICES) {
      const name = `checkout-saga-${service}`;
      const [container] = containers(find(docs, 'Deployment', name));
      expect(container?.args).toEqual([service]);
      expect(container?.readinessProbe?.httpGet?.path).toBe('/ready');
      expect(container?.livenessProbe?.httpGet?.path).toBe('/health');
      expect(Object.keys(container?.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
      expect(Object.keys(container?.resources?.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
      expect(at(find(docs, 'PodDisruptionBudget', name), 'spec', 'minAvailable')).toBe(1);
      const hpa = find(docs, 'HorizontalPodAutoscaler', name);
      expect(at(hpa, 'spec', 'scaleTargetRef', 'name')).toBe(name);
      expect(at(hpa, 'spec', 'minReplicas')).toBeGreaterThanOrEqual(2);
      expect(at(find(docs, 'Service', name), 'spec', 'ports', 0, 'targetPort')).toBe('http');
    }
  });

  it('runs per service a Redis group of three nodes, three Sentinels and a three-node RabbitMQ', () => {
    const docs = parseManifests(render());
    for (const service of SERVICES) {
      const redis = find(docs, 'StatefulSet', `checkout-saga-${service}-redis`);
      expect(at(redis, 'spec', 'replicas')).toBe(3);
      expect(at(redis, 'spec', 'volumeClaimTemplates', 0, 'metadata', 'name')).toBe('data');
      expect(envOf(containers(redis)[0] as Container).get('REDIS_MIN_REPLICAS')).toBe('1');
      expect(at(find(docs, 'Service', `checkout-saga-${service}-redis`), 'spec', 'clusterIP')).toBe('None');
    }
    const sentinel = find(docs, 'StatefulSet', 'checkout-saga-sentinel');
    expect(at(sentinel, 'spec', 'replicas')).toBe(3);
    const groups = envOf(containers(sentinel)[0] as Container).get('SENTINEL_GROUPS') ?? '';
    expect(groups.split(' ').map((g) => g.split('=')[0])).toEqual([...SERVICES]);
    const rabbit = find(docs, 'StatefulSet', 'checkout-saga-rabbitmq');
    expect(at(rabbit, 'spec', 'replicas')).toBe(3);
    const conf = at(find(docs, 'ConfigMap', 'checkout-saga-rabbitmq-config'), 'data', '20-cluster.conf');
    expect(
      String(conf).match(/classic_config\.nodes\.\d+ = rabbit@checkout-saga-rabbitmq-\d\./g),
    ).toHaveLength(3);
    // Every StatefulSet names a Service that exists, so its pods get DNS names.
    for (const set of byKind(docs, 'StatefulSet')) {
      expect(find(docs, 'Service', String(at(set, 'spec', 'serviceName')))).toBeDefined();
      expect(find(docs, 'PodDisruptionBudget', set.metadata.name)).toBeDefined();
    }
  });

  it('values-small.yaml runs one of each, without replicas to wait for', () => {
    const docs = parseManifests(render('-f', `${CHART}/values-small.yaml`));
    for (const service of SERVICES) {
      const deployment = find(docs, 'Deployment', `checkout-saga-${service}`);
      expect(at(deployment, 'spec', 'replicas')).toBe(1);
      expect(envOf(containers(deployment)[0] as Container).get('REDIS_WAIT_REPLICAS')).toBe('0');
      expect(at(find(docs, 'StatefulSet', `checkout-saga-${service}-redis`), 'spec', 'replicas')).toBe(1);
    }
    expect(byKind(docs, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(at(find(docs, 'StatefulSet', 'checkout-saga-sentinel'), 'spec', 'replicas')).toBe(1);
    expect(at(find(docs, 'StatefulSet', 'checkout-saga-rabbitmq'), 'spec', 'replicas')).toBe(1);
  });

  it('routes the three public path prefixes through the Ingress to their services, paths unchanged', () => {
    const ingress = find(parseManifests(render()), 'Ingress', 'checkout-saga');
    const paths = at(ingress, 'spec', 'rules', 0, 'http', 'paths') as {
      path: string;
      pathType: string;
      backend: { service: { name: string } };
    }[];
    expect(paths.map((p) => [p.path, p.pathType, p.backend.service.name]).sort()).toEqual([
      ['/orders', 'Prefix', 'checkout-saga-order'],
      ['/payment', 'Prefix', 'checkout-saga-payment'],
      ['/stock', 'Prefix', 'checkout-saga-stock'],
    ]);
  });

  it('gives the services what config.ts reads, Sentinels of the chart or external ones', () => {
    const known = [...SET_BY_DEPLOYMENT, ...TUNABLE, ...Object.keys(LEFT_AT_DEFAULT)];
    expect(serviceConfigVariables(REPO_ROOT).filter((name) => !known.includes(name))).toEqual([]);

    const own = parseManifests(render());
    const external = parseManifests(render('-f', `${CHART}/values-external.yaml`));
    for (const service of SERVICES) {
      const env = envOf(containers(find(own, 'Deployment', `checkout-saga-${service}`))[0] as Container);
      const expected = service === 'order' ? [...SET_BY_DEPLOYMENT, ...ORDER_ONLY] : SET_BY_DEPLOYMENT;
      expect([...env.keys()].sort()).toEqual([...expected].sort());
      expect(env.get('REDIS_MASTER_NAME')).toBe(service);
      expect(env.get('REDIS_WAIT_REPLICAS')).toBe('1');
      expect(env.get('REDIS_SENTINELS')?.split(',')).toHaveLength(3);
      const ext = envOf(containers(find(external, 'Deployment', `checkout-saga-${service}`))[0] as Container);
      expect(ext.get('REDIS_MASTER_NAME')).toBe(`checkout-${service}`);
      expect(ext.get('REDIS_SENTINELS')).toMatch(/^sentinel-0\.redis\.example:26379,/);
    }
    expect(byKind(external, 'StatefulSet')).toEqual([]);
    const tuned = parseManifests(render(...TUNABLE.flatMap((name) => ['--set-string', `env.${name}=7`])));
    const tunedEnv = envOf(containers(find(tuned, 'Deployment', 'checkout-saga-order'))[0] as Container);
    for (const name of TUNABLE) expect(tunedEnv.get(name), name).toBe('7');
    const secret = find(external, 'Secret', 'checkout-saga-amqp');
    expect(at(secret, 'stringData', 'url')).toBe('amqp://checkout:your-password@rabbitmq.example:5672');
  });
});

describe('Helm chart: credentials', () => {
  const envVars = (doc: Manifest): EnvVar[] => containers(doc)[0]?.env ?? [];
  const secretData = (docs: Manifest[], name: string): Record<string, string> =>
    at(find(docs, 'Secret', name), 'stringData') as Record<string, string>;

  it('generates every password per install (none in values.yaml), and uses one given in values', () => {
    const [a, b] = [parseManifests(render()), parseManifests(render())];
    for (const name of ['checkout-saga-redis', 'checkout-saga-amqp', 'checkout-saga-admin']) {
      const first = secretData(a, name);
      const second = secretData(b, name);
      for (const [key, value] of Object.entries(first)) {
        if (key === 'username') continue;
        expect(value, `${name}.${key}`).toMatch(/[A-Za-z0-9]{40}/);
        expect(second[key], `${name}.${key} differs between installs`).not.toBe(value);
      }
    }
    expect(Object.keys(secretData(a, 'checkout-saga-redis')).sort()).toEqual(
      [
        'admin',
        'order',
        'payment',
        'replica',
        'sentinel',
        'sentinel-client',
        'sentinel-peer',
        'stock',
      ].sort(),
    );
    const given = parseManifests(render('--set', 'rabbitmq.password=p4ssw0rd-from-values'));
    expect(secretData(given, 'checkout-saga-amqp')['url']).toContain(':p4ssw0rd-from-values@');
    expect(readFileSync(join(REPO_ROOT, CHART, 'values.yaml'), 'utf8')).not.toMatch(/change-me|guest/);
    // An upgrade keeps the installed values: templates/secret.yaml looks them up first.
    const template = readFileSync(join(REPO_ROOT, CHART, 'templates', 'secret.yaml'), 'utf8');
    expect(template).toMatch(/lookup "v1" "Secret" \.Release\.Namespace \$amqpName/);
    expect(template).toMatch(/lookup "v1" "Secret" \.Release\.Namespace \$redisName/);
    expect(template).toMatch(/lookup "v1" "Secret" \.Release\.Namespace \$adminName/);
  });

  it('gives ADMIN_TOKEN to the order pods only, from its own Secret; a given token is used, a short one refused', () => {
    const docs = parseManifests(render());
    const token = (service: string): EnvVar | undefined =>
      envVars(find(docs, 'Deployment', `checkout-saga-${service}`)).find((e) => e.name === 'ADMIN_TOKEN');
    expect(secretRef(token('order'))).toBe('checkout-saga-admin/token');
    expect(token('stock')).toBeUndefined();
    expect(token('payment')).toBeUndefined();
    expect(Object.keys(secretData(docs, 'checkout-saga-admin'))).toEqual(['token']);
    // No other workload reads the admin Secret.
    const readers = [...byKind(docs, 'Deployment'), ...byKind(docs, 'StatefulSet')].filter((w) =>
      envVars(w).some((e) => e.valueFrom?.secretKeyRef?.name === 'checkout-saga-admin'),
    );
    expect(readers.map((w) => w.metadata.name)).toEqual(['checkout-saga-order']);

    const given = parseManifests(render('--set', 'admin.token=an-operator-chosen-token'));
    expect(secretData(given, 'checkout-saga-admin')['token']).toBe('an-operator-chosen-token');
    expect(() => render('--set', 'admin.token=short')).toThrow(/admin/);
    expect(() => render('--set', 'env.ADMIN_TOKEN=an-operator-chosen-token')).toThrow(/ADMIN_TOKEN/);

    // Disabled: no Secret and no token, so the order service serves neither /admin/ nor /console.
    const off = parseManifests(render('--set', 'admin.enabled=false'));
    expect(byKind(off, 'Secret').map((d) => d.metadata.name)).not.toContain('checkout-saga-admin');
    const orderEnv = envVars(find(off, 'Deployment', 'checkout-saga-order'));
    expect(orderEnv.map((e) => e.name)).not.toContain('ADMIN_TOKEN');
  });

  it('logs every component in with its own user, from the Secret, and bounds Redis memory', () => {
    const docs = parseManifests(render());
    for (const service of SERVICES) {
      const env = envVars(find(docs, 'Deployment', `checkout-saga-${service}`));
      const named = (n: string): EnvVar | undefined => env.find((e) => e.name === n);
      expect(named('REDIS_USERNAME')?.value).toBe(service);
      expect(secretRef(named('REDIS_PASSWORD'))).toBe(`checkout-saga-redis/${service}`);
      expect(named('REDIS_SENTINEL_USERNAME')?.value).toBe('client');
      expect(secretRef(named('REDIS_SENTINEL_PASSWORD'))).toBe('checkout-saga-redis/sentinel-client');
      const redis = envVars(find(docs, 'StatefulSet', `checkout-saga-${service}-redis`));
      expect(redis.find((e) => e.name === 'REDIS_SERVICE')?.value).toBe(service);
      expect(secretRef(redis.find((e) => e.name === 'REDIS_SERVICE_PASSWORD'))).toBe(
        `checkout-saga-redis/${service}`,
      );
      expect(redis.find((e) => e.name === 'REDIS_MAXMEMORY')?.value).toBe('256mb');
    }
    const sentinel = envVars(find(docs, 'StatefulSet', 'checkout-saga-sentinel'));
    expect(sentinel.map(secretRef).filter((r) => r !== '/')).toEqual([
      'checkout-saga-redis/admin',
      'checkout-saga-redis/sentinel',
      'checkout-saga-redis/sentinel-peer',
      'checkout-saga-redis/sentinel-client',
    ]);
    expect(
      envVars(
        find(
          parseManifests(render('--set', 'redis.maxmemory=1gb')),
          'StatefulSet',
          'checkout-saga-stock-redis',
        ),
      ).find((e) => e.name === 'REDIS_MAXMEMORY')?.value,
    ).toBe('1gb');
    expect(() => render('--set', 'redis.maxmemory=lots')).toThrow(/maxmemory/);
  });
});

/** deploy/k8s/<template>.yaml: the chart's output split by the template each object came from. */
async function renderedK8sFiles(): Promise<Map<string, string>> {
  const out = render();
  const files = new Map<string, string[]>();
  for (const chunk of out.split(/^---\n/m)) {
    const source = /^# Source: checkout-saga\/templates\/(.+\.yaml)$/m.exec(chunk)?.[1];
    // The Secrets hold generated credentials: never committed (deploy/k8s/create-secrets.sh).
    if (!source || source === 'secret.yaml') continue;
    const body = chunk.replace(/^# Source: .*\n/m, '').trimEnd();
    files.set(source, [...(files.get(source) ?? []), body]);
  }
  const result = new Map<string, string>();
  for (const [file, bodies] of files) {
    const text =
      `# Generated from ${CHART}/templates/${file} by \`helm template checkout-saga ${CHART}\n` +
      `# --namespace ${NAMESPACE}\` (default values). Edit the chart, not this file, then run\n` +
      '# `npx vitest run test/deploy/k8s.test.ts -u`.\n' +
      bodies.map((body) => `---\n${body}\n`).join('');
    result.set(
      file,
      await format(text, { parser: 'yaml', filepath: file, singleQuote: true, printWidth: 110 }),
    );
  }
  return result;
}

describe('deploy/k8s manifests', () => {
  it('are the chart rendered with its default values', async () => {
    const files = await renderedK8sFiles();
    for (const [file, text] of files) {
      await expect(text).toMatchFileSnapshot(join(K8S_DIR, file));
    }
    const generated = readdirSync(K8S_DIR).filter((f) => f !== 'namespace.yaml' && f.endsWith('.yaml'));
    expect(generated.sort()).toEqual([...files.keys()].sort());
  });

  it('ship no Secret and no credential; every secretKeyRef names a Secret create-secrets.sh makes', () => {
    const text = readdirSync(K8S_DIR)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => readFileSync(join(K8S_DIR, f), 'utf8'))
      .join('\n');
    const docs = parseManifests(text);
    expect(byKind(docs, 'Secret')).toEqual([]);
    expect(text).not.toMatch(/change-me|guest|amqp:\/\/[^$]/);
    const refs = new Set(
      [...text.matchAll(/secretKeyRef: \{ name: ([\w-]+), key: ([\w-]+) \}/g)].map((m) => `${m[1]}/${m[2]}`),
    );
    const script = readFileSync(join(K8S_DIR, 'create-secrets.sh'), 'utf8');
    const made = new Set<string>();
    for (const block of script.split(/create secret generic /).slice(1)) {
      const name = block.split(/\s/)[0] ?? '';
      for (const m of block.matchAll(/--from-literal=([\w-]+)=/g)) made.add(`${name}/${m[1]}`);
    }
    expect(refs.size).toBeGreaterThan(10);
    expect([...refs].filter((r) => !made.has(r))).toEqual([]);
  });

  it('validate against the Kubernetes schemas, namespace included', async () => {
    const docs = readdirSync(K8S_DIR)
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => parseManifests(readFileSync(join(K8S_DIR, f), 'utf8')));
    expect(docs.map(manifestName)).toContain(`Namespace/${NAMESPACE}`);
    expect(await schemaErrors(docs)).toEqual([]);
    expect(strictFieldErrors(docs)).toEqual([]);
    for (const doc of docs.filter((d) => d.kind !== 'Namespace')) {
      expect(doc.metadata.namespace, manifestName(doc)).toBe(NAMESPACE);
    }
  });
});
