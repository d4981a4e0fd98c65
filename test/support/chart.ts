/**
 * The Helm chart rendered by the real helm binary (test/support/helm.ts) and parsed into
 * manifests, with the lookups the chart tests assert on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { helm, helmBinary } from './helm.js';
import type { Manifest } from './k8s-schema.js';

export const CHART = 'deploy/helm/checkout-saga';
export const NAMESPACE = 'checkout-saga';
export const SERVICES = ['order', 'stock', 'payment'] as const;

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((doc): doc is Manifest => doc !== null);
}

/**
 * A private helm home for the calling test file (or describe block), made before its tests
 * (fetching the binary on the first run) and removed after them; returns its path getter.
 */
export function useHelmHome(prefix: string): () => string {
  let home = '';
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), prefix));
    helmBinary(); // the first run fetches it (see test/support/helm.ts)
  }, 300_000);
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  return () => home;
}

/** `helm template checkout-saga` of the chart; `home` holds helm's private cache and config. */
export function renderChart(home: string, ...args: string[]): string {
  return helm(['template', 'checkout-saga', CHART, '--namespace', NAMESPACE, ...args], home);
}

export function byKind(docs: readonly Manifest[], kind: string): Manifest[] {
  return docs.filter((doc) => doc.kind === kind);
}

export function find(docs: readonly Manifest[], kind: string, name: string): Manifest {
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!doc) throw new Error(`${kind}/${name} not rendered`);
  return doc;
}

/** Typed access into a manifest's nested fields for assertions (throws on a wrong path). */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') throw new Error(`no ${path.join('.')}`);
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

export interface Container {
  name: string;
  args?: string[];
  env?: EnvVar[];
  readinessProbe?: { httpGet?: { path: string } };
  livenessProbe?: { httpGet?: { path: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

export function containers(doc: Manifest): Container[] {
  return at(doc, 'spec', 'template', 'spec', 'containers') as Container[];
}

export function envOf(container: Container): Map<string, string | undefined> {
  return new Map((container.env ?? []).map((e) => [e.name, e.value]));
}

/** `secret/key` an environment variable is read from, or '/' for a plain value. */
export function secretRef(variable: EnvVar | undefined): string {
  const ref = variable?.valueFrom?.secretKeyRef;
  return `${ref?.name ?? ''}/${ref?.key ?? ''}`;
}
