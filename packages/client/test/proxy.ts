/**
 * A TCP proxy in front of the test server, so a test can take the server "off the network"
 * (stop listening and cut every connection) and bring it back on the same port, while the server
 * and its database keep running. `dropResponses` forwards requests but cuts the connection when
 * the answer starts: the server did the work, the client never hears of it.
 */
import net from 'node:net';

export interface Proxy {
  port: number;
  url: string;
  /** Stops listening and destroys every open connection. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** While true, connections are cut as soon as the server answers. */
  dropResponses: boolean;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<Proxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const proxy: Proxy = {
    port: 0,
    url: '',
    dropResponses: false,
    up: () =>
      new Promise<void>((resolve, reject) => {
        server = net.createServer((client) => {
          const upstream = net.connect(targetPort, '127.0.0.1');
          sockets.add(client);
          sockets.add(upstream);
          const end = () => {
            client.destroy();
            upstream.destroy();
            sockets.delete(client);
            sockets.delete(upstream);
          };
          client.on('data', (chunk) => upstream.write(chunk));
          upstream.on('data', (chunk) => {
            if (proxy.dropResponses) return end();
            client.write(chunk);
          });
          client.on('close', end);
          upstream.on('close', end);
          client.on('error', end);
          upstream.on('error', end);
        });
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          port = (server!.address() as net.AddressInfo).port;
          proxy.port = port;
          proxy.url = `http://127.0.0.1:${port}`;
          resolve();
        });
      }),
    down: async () => {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    close: () => proxy.down(),
  };
  await proxy.up();
  return proxy;
}
