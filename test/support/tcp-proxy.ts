/**
 * A TCP proxy in front of a local server, to make connection failures on purpose: `drop`
 * destroys every open connection (the client sees its connection die), `stop` also refuses
 * new ones until `start`.
 */
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Destroys every open connection. */
  drop(): void;
  /** Drops connections and refuses new ones until `start`. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function createTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = (): Promise<void> =>
    new Promise((resolve) => {
      const listener = createServer((client) => {
        const upstream = tcpConnect(targetPort, '127.0.0.1');
        for (const [socket, other] of [
          [client, upstream],
          [upstream, client],
        ] as const) {
          sockets.add(socket);
          socket.on('error', () => other.destroy());
          socket.on('close', () => {
            sockets.delete(socket);
            other.destroy();
          });
          socket.pipe(other);
        }
      });
      server = listener;
      listener.listen(port, '127.0.0.1', () => {
        const address = listener.address();
        if (address !== null && typeof address === 'object') port = address.port;
        resolve();
      });
    });
  const drop = (): void => sockets.forEach((socket) => socket.destroy());
  await listen();
  return {
    get port() {
      return port;
    },
    drop,
    stop: () =>
      new Promise((resolve) => {
        drop();
        if (server === undefined) resolve();
        else server.close(() => resolve());
        server = undefined;
      }),
    start: listen,
  };
}
