/**
 * The chart's NetworkPolicies (and deploy/k8s/, the chart rendered with default values) judged
 * by what they let through, not only by their YAML: test/support/netpol.ts decides each
 * connection with the API's semantics, between the chart's own pods and pods it does not run
 * (the ingress controller, Prometheus, the cluster DNS, a stranger in the namespace, a pod in
 * another namespace). No CNI enforces anything here; docs/deploy.md says what that leaves open.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  at,
  byKind,
  CHART,
  find,
  parseManifests,
  renderChart,
  SERVICES,
  useHelmHome,
} from '../support/chart.js';
import { REPO_ROOT } from '../support/helm.js';
import type { Manifest } from '../support/k8s-schema.js';
import { allowed, otherPod, workloadPods, type Pod } from '../support/netpol.js';

const home = useHelmHome('deploy-netpol-');
const render = (...args: string[]): Manifest[] => parseManifests(renderChart(home(), ...args));

/** Pods the chart does not run, labelled as the default values expect them. */
const GATEWAY = otherPod('ingress-nginx-controller', 'ingress-nginx', {
  'app.kubernetes.io/name': 'ingress-nginx',
});
const PROMETHEUS = otherPod('prometheus-0', 'monitoring', { 'app.kubernetes.io/name': 'prometheus' });
const DNS = otherPod('coredns', 'kube-system', { 'k8s-app': 'kube-dns' });
const STRANGER = otherPod('stranger', 'checkout-saga', { app: 'stranger' });
const ELSEWHERE = otherPod('elsewhere', 'other-team', { app: 'anything' });
// A pod in the gateway's namespace without its labels, and one with them in another namespace.
const NEAR_GATEWAY = otherPod('cert-manager', 'ingress-nginx', { app: 'cert-manager' });
const FAKE_GATEWAY = otherPod('fake', 'checkout-saga', { 'app.kubernetes.io/name': 'ingress-nginx' });

function pods(docs: readonly Manifest[]): Record<string, Pod> {
  const map = Object.fromEntries(workloadPods(docs));
  for (const name of [...SERVICES.flatMap((s) => [s, `${s}-redis`]), 'sentinel', 'rabbitmq']) {
    if (!map[name]) throw new Error(`no pod for ${name}`);
  }
  return map;
}

/** Every connection the deployment needs, and a sample of those it must refuse. */
function checkReachability(docs: readonly Manifest[]): void {
  const pod = pods(docs);
  const p = (name: string): Pod => pod[name] as Pod;
  const can = (from: Pod, to: Pod, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): boolean =>
    allowed(docs, from, to, port, protocol);
  for (const service of SERVICES) {
    const self = p(service);
    // In: HTTP from the gateway and Prometheus only.
    expect(can(GATEWAY, self, 8080), `gateway -> ${service}`).toBe(true);
    expect(can(PROMETHEUS, self, 8080), `prometheus -> ${service}`).toBe(true);
    expect(can(GATEWAY, self, 9229), `gateway -> ${service}:9229`).toBe(false);
    for (const stranger of [STRANGER, ELSEWHERE, NEAR_GATEWAY, FAKE_GATEWAY, DNS])
      expect(can(stranger, self, 8080), `${stranger.name} -> ${service}`).toBe(false);
    for (const other of SERVICES.filter((s) => s !== service))
      expect(can(p(other), self, 8080), `${other} -> ${service}`).toBe(false);
    // Out: its own Redis group, the Sentinels, the broker, DNS; nothing else.
    expect(can(self, p(`${service}-redis`), 6379), `${service} -> its redis`).toBe(true);
    expect(can(self, p('sentinel'), 26379), `${service} -> sentinel`).toBe(true);
    expect(can(self, p('rabbitmq'), 5672), `${service} -> rabbitmq`).toBe(true);
    expect(can(self, DNS, 53, 'UDP') && can(self, DNS, 53, 'TCP'), `${service} -> dns`).toBe(true);
    for (const other of SERVICES.filter((s) => s !== service))
      expect(can(self, p(`${other}-redis`), 6379), `${service} -> ${other}-redis`).toBe(false);
    expect(can(self, p('rabbitmq'), 25672), `${service} -> rabbitmq clustering`).toBe(false);
    expect(can(self, p('rabbitmq'), 4369), `${service} -> epmd`).toBe(false);
    expect(can(self, ELSEWHERE, 443), `${service} -> elsewhere`).toBe(false);
    expect(can(self, DNS, 8080), `${service} -> dns:8080`).toBe(false);
    // The stores stay closed to all but their clients and peers.
    expect(can(GATEWAY, p(`${service}-redis`), 6379), `gateway -> ${service}-redis`).toBe(false);
    expect(can(STRANGER, p(`${service}-redis`), 6379), `stranger -> ${service}-redis`).toBe(false);
    expect(can(p(`${service}-redis`), p(`${service}-redis`), 6379), `${service}-redis replication`).toBe(
      true,
    );
    expect(can(p('sentinel'), p(`${service}-redis`), 6379), `sentinel -> ${service}-redis`).toBe(true);
  }
  expect(can(GATEWAY, p('rabbitmq'), 5672)).toBe(false);
  expect(can(STRANGER, p('sentinel'), 26379)).toBe(false);
  expect(can(p('rabbitmq'), p('rabbitmq'), 25672)).toBe(true);
}

describe('NetworkPolicies', () => {
  it('let each pod reach exactly what it needs (default values), and stock cannot reach order-redis', () => {
    const docs = render();
    const pod = pods(docs);
    expect(allowed(docs, pod['stock'] as Pod, pod['order-redis'] as Pod, 6379)).toBe(false);
    checkReachability(docs);
  });

  it('do the same in deploy/k8s and with values-small.yaml', () => {
    const dir = join(REPO_ROOT, 'deploy', 'k8s');
    const k8s = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => parseManifests(readFileSync(join(dir, f), 'utf8')));
    checkReachability(k8s);
    checkReachability(render('-f', `${CHART}/values-small.yaml`));
  });

  it('are all that closes the pods: networkPolicy.enabled=false renders none and everything is open (the check can fail)', () => {
    const docs = render('--set', 'networkPolicy.enabled=false');
    expect(byKind(docs, 'NetworkPolicy')).toEqual([]);
    const pod = pods(docs);
    expect(allowed(docs, pod['stock'] as Pod, pod['order-redis'] as Pod, 6379)).toBe(true);
    expect(allowed(docs, STRANGER, pod['order'] as Pod, 8080)).toBe(true);
    expect(() => checkReachability(docs)).toThrow();
  });

  it('take the gateway, Prometheus and DNS selectors from values', () => {
    const docs = render(
      '--set',
      'networkPolicy.gateway.namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=edge',
      '--set',
      'networkPolicy.prometheus.podSelector.matchLabels.app\\.kubernetes\\.io/name=vmagent',
    );
    const order = pods(docs)['order'] as Pod;
    const edge = otherPod('edge-proxy', 'edge', { 'app.kubernetes.io/name': 'ingress-nginx' });
    const vmagent = otherPod('vmagent', 'monitoring', { 'app.kubernetes.io/name': 'vmagent' });
    expect(allowed(docs, edge, order, 8080)).toBe(true);
    expect(allowed(docs, GATEWAY, order, 8080)).toBe(false);
    expect(allowed(docs, vmagent, order, 8080)).toBe(true);
    expect(allowed(docs, PROMETHEUS, order, 8080)).toBe(false);
  });

  it('with external Redis and RabbitMQ: egress only by networkPolicy.extraEgress, required', () => {
    expect(() => render('--set', 'rabbitmq.enabled=false,rabbitmq.external.url=amqp://u:p@mq:5672')).toThrow(
      /networkPolicy.extraEgress/,
    );
    const docs = render('-f', `${CHART}/values-external.yaml`);
    const values = readFileSync(join(REPO_ROOT, CHART, 'values-external.yaml'), 'utf8');
    expect(values).toMatch(/extraEgress:/);
    for (const service of SERVICES) {
      const policy = find(docs, 'NetworkPolicy', `checkout-saga-${service}`);
      const egress = at(policy, 'spec', 'egress') as { to?: { ipBlock?: { cidr: string } }[] }[];
      // DNS, then the values' rule verbatim; no rule to the chart's own (absent) stores.
      expect(egress).toHaveLength(2);
      expect(egress[1]?.to?.[0]?.ipBlock?.cidr).toBe('10.20.0.0/16');
    }
    expect(byKind(docs, 'NetworkPolicy').map((d) => d.metadata.name)).toEqual(
      SERVICES.map((s) => `checkout-saga-${s}`),
    );
  });
});

describe('NetworkPolicies: selectors', () => {
  it('lets only the right pods reach each Redis group, the Sentinels and the broker', () => {
    const docs = render();
    const componentsOf = (policy: Manifest, rule = 0): string[] =>
      (
        at(policy, 'spec', 'ingress', rule, 'from') as {
          podSelector: { matchLabels: Record<string, string> };
        }[]
      ).map((f) => f.podSelector.matchLabels['app.kubernetes.io/component'] ?? '?');
    const selects = (policy: Manifest): string =>
      String(at(policy, 'spec', 'podSelector', 'matchLabels', 'app.kubernetes.io/component'));
    for (const service of SERVICES) {
      const policy = find(docs, 'NetworkPolicy', `checkout-saga-${service}-redis`);
      expect(selects(policy)).toBe(`${service}-redis`);
      expect(componentsOf(policy)).toEqual([service, `${service}-redis`, 'sentinel']);
      expect(at(policy, 'spec', 'policyTypes')).toEqual(['Ingress']);
    }
    expect(componentsOf(find(docs, 'NetworkPolicy', 'checkout-saga-sentinel')).sort()).toEqual(
      [...SERVICES, ...SERVICES.map((s) => `${s}-redis`), 'sentinel'].sort(),
    );
    const broker = find(docs, 'NetworkPolicy', 'checkout-saga-rabbitmq');
    expect(componentsOf(broker, 0)).toEqual([...SERVICES, 'rabbitmq']);
    expect(componentsOf(broker, 1)).toEqual(['rabbitmq']);
    // Every selected component is a workload the chart runs (a typo would select nothing).
    const workloads = [...byKind(docs, 'Deployment'), ...byKind(docs, 'StatefulSet')].map((w) =>
      String(at(w, 'spec', 'template', 'metadata', 'labels', 'app.kubernetes.io/component')),
    );
    type Peer = { podSelector?: { matchLabels: Record<string, string> }; namespaceSelector?: unknown };
    const policies = byKind(docs, 'NetworkPolicy');
    expect(policies.length).toBe(8);
    for (const policy of policies) {
      expect(workloads).toContain(selects(policy));
      // Peers in the release's namespace (no namespaceSelector) are the chart's own pods.
      const spec = policy['spec'] as { ingress?: { from?: Peer[] }[]; egress?: { to?: Peer[] }[] };
      const peers = [
        ...(spec.ingress ?? []).flatMap((r) => r.from ?? []),
        ...(spec.egress ?? []).flatMap((r) => r.to ?? []),
      ];
      for (const peer of peers.filter((p) => !p.namespaceSelector)) {
        expect(workloads, policy.metadata.name).toContain(
          peer.podSelector?.matchLabels['app.kubernetes.io/component'],
        );
      }
    }
  });
});
