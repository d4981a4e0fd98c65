import { createServer, type Server } from 'node:net';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * `count` distinct free ports on 127.0.0.1. All are held open until every one is found, so the
 * kernel cannot hand out the same port twice; there is still a short window between closing
 * them here and the child binding, which is acceptable for a local cluster.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i += 1) servers.push(await listen(0));
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('listen(0) gave no port');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map(close));
  }
}

/** Whether a fixed port (e.g. the gateway's 8000) can be bound now. */
export async function portIsFree(port: number): Promise<boolean> {
  try {
    await close(await listen(port));
    return true;
  } catch {
    return false;
  }
}
