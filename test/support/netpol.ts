/**
 * Decides, from NetworkPolicy manifests alone, whether one pod may open a connection to another
 * on a port, with the API's semantics (networking.k8s.io/v1): a pod selected by no policy of a
 * direction is open in that direction; a selected pod admits what any rule of any selecting
 * policy admits; a peer with both namespaceSelector and podSelector needs both to match; a
 * connection needs the source's egress and the destination's ingress. ipBlock peers match no
 * pod here (pods are addressed by labels, not IPs), and matchExpressions are not supported
 * (the chart uses none: a policy with one throws rather than being misjudged).
 */
import type { Manifest } from './k8s-schema.js';

export interface Pod {
  name: string;
  namespace: string;
  namespaceLabels: Record<string, string>;
  labels: Record<string, string>;
}

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: unknown[];
}

interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: unknown;
}

interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { port?: number | string; protocol?: string }[];
}

interface PolicySpec {
  podSelector: Selector;
  policyTypes?: string[];
  ingress?: Rule[];
  egress?: Rule[];
}

export type Protocol = 'TCP' | 'UDP';

function matches(selector: Selector, labels: Record<string, string>): boolean {
  if (selector.matchExpressions?.length) throw new Error('matchExpressions are not supported');
  return Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

function peerMatches(peer: Peer, pod: Pod, policyNamespace: string): boolean {
  if (peer.ipBlock) return false;
  const inNamespace = peer.namespaceSelector
    ? matches(peer.namespaceSelector, pod.namespaceLabels)
    : pod.namespace === policyNamespace;
  return inNamespace && (!peer.podSelector || matches(peer.podSelector, pod.labels));
}

function portMatches(rule: Rule, port: number, protocol: Protocol): boolean {
  if (!rule.ports?.length) return true;
  return rule.ports.some(
    (p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || p.port === port),
  );
}

/** Whether `direction` of `subject` admits `peer` on port/protocol under `policies`. */
function admits(
  policies: readonly Manifest[],
  direction: 'Ingress' | 'Egress',
  subject: Pod,
  peer: Pod,
  port: number,
  protocol: Protocol,
): boolean {
  const selecting = policies
    .filter((p) => p.kind === 'NetworkPolicy' && p.metadata.namespace === subject.namespace)
    .map((p) => p['spec'] as PolicySpec)
    .filter((spec) => matches(spec.podSelector, subject.labels))
    .filter((spec) => (spec.policyTypes ?? ['Ingress']).includes(direction));
  if (selecting.length === 0) return true;
  return selecting.some((spec) =>
    (direction === 'Ingress' ? (spec.ingress ?? []) : (spec.egress ?? [])).some((rule) => {
      const peers = direction === 'Ingress' ? rule.from : rule.to;
      const peerOk = !peers?.length || peers.some((p) => peerMatches(p, peer, subject.namespace));
      return peerOk && portMatches(rule, port, protocol);
    }),
  );
}

/** Whether `from` may connect to `to` on port/protocol. */
export function allowed(
  policies: readonly Manifest[],
  from: Pod,
  to: Pod,
  port: number,
  protocol: Protocol = 'TCP',
): boolean {
  return (
    admits(policies, 'Egress', from, to, port, protocol) &&
    admits(policies, 'Ingress', to, from, port, protocol)
  );
}

/** The pods of every Deployment and StatefulSet in the manifests, by component label. */
export function workloadPods(docs: readonly Manifest[]): Map<string, Pod> {
  const pods = new Map<string, Pod>();
  for (const doc of docs.filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet')) {
    const spec = doc['spec'] as { template: { metadata: { labels: Record<string, string> } } };
    const labels = spec.template.metadata.labels;
    const namespace = doc.metadata.namespace ?? 'default';
    pods.set(labels['app.kubernetes.io/component'] ?? doc.metadata.name, {
      name: doc.metadata.name,
      namespace,
      namespaceLabels: { 'kubernetes.io/metadata.name': namespace },
      labels,
    });
  }
  return pods;
}

/** A pod outside the chart, in `namespace` (its automatic kubernetes.io/metadata.name label set). */
export function otherPod(name: string, namespace: string, labels: Record<string, string> = {}): Pod {
  return { name, namespace, namespaceLabels: { 'kubernetes.io/metadata.name': namespace }, labels };
}
