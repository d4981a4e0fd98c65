/**
 * The credentials deploy/compose.yaml requires, as deploy/gen-secrets.sh generates them for an
 * installation (run once per test process into a temp file), for `docker-compose config`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './helm.js';

export const GEN_SECRETS = join(REPO_ROOT, 'deploy', 'gen-secrets.sh');

let cached: Record<string, string> | undefined;

/** NAME -> value of a freshly generated env file. */
export function generatedSecrets(): Record<string, string> {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'compose-secrets-'));
  try {
    const file = join(dir, '.env');
    execFileSync('sh', [GEN_SECRETS, file], { stdio: 'ignore' });
    const entries = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const);
    cached = Object.fromEntries(entries);
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
