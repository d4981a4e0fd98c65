/**
 * Renders deploy/nginx/gateway.conf.template, the gateway config shared with the compose
 * deployment. Only `${UPPER_CASE}` placeholders are replaced; a placeholder without a value
 * is an error, so the template and the renderer cannot drift apart silently.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';

/** deploy/ is two levels above both src/cluster and dist/cluster. */
export const GATEWAY_TEMPLATE = fileURLToPath(
  new URL('../../deploy/nginx/gateway.conf.template', import.meta.url),
);

export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\$\{([A-Z_]+)\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for placeholder \${${name}} in the nginx template`);
    return value;
  });
}

/**
 * `server` lines of one upstream. fail_timeout 2 s instead of the default 10 s: a replica that
 * failed is skipped only as long as a restart by the supervisor takes (about a second). With
 * `standby`, every replica but the first is a `backup`: nginx sends it requests only while the
 * first one fails (and for the fail_timeout after), re-sending the failed request to it.
 */
export function upstreamServers(ports: readonly number[], standby = false): string {
  return ports
    .map(
      (port, i) =>
        `server 127.0.0.1:${port} max_fails=1 fail_timeout=2s${standby && i > 0 ? ' backup' : ''};`,
    )
    .join('\n    ');
}

export function gatewayConf(opts: {
  listenPort: number;
  /**
   * SO_REUSEPORT on the public port, so several instances can listen on it at once and the
   * kernel spreads new connections over the live ones (one killed, the others take all).
   */
  reuseport?: boolean;
  /** Port of this instance's own /health; without it, a unix socket in tempDir. */
  statusPort?: number;
  workers: string;
  pidFile: string;
  errorLog: string;
  tempDir: string;
  upstreams: { order: number[]; stock: number[]; payment: number[] };
  /** All replicas but the first of each upstream stand by (upstreamServers). */
  standby?: boolean;
  template?: string;
}): string {
  const template = opts.template ?? readFileSync(GATEWAY_TEMPLATE, 'utf8');
  return renderTemplate(template, {
    WORKER_USER: userInfo().username,
    WORKER_PROCESSES: opts.workers,
    PID_FILE: opts.pidFile,
    ERROR_LOG: opts.errorLog,
    TEMP_DIR: opts.tempDir,
    LISTEN: `127.0.0.1:${opts.listenPort}${opts.reuseport === true ? ' reuseport' : ''}`,
    STATUS_LISTEN:
      opts.statusPort === undefined ? `unix:${opts.tempDir}/status.sock` : `127.0.0.1:${opts.statusPort}`,
    ORDER_SERVERS: upstreamServers(opts.upstreams.order, opts.standby),
    STOCK_SERVERS: upstreamServers(opts.upstreams.stock, opts.standby),
    PAYMENT_SERVERS: upstreamServers(opts.upstreams.payment, opts.standby),
  });
}
