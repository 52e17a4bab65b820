/**
 * The fan-out baseline: a bare `ws` server speaking just enough of the Centrifugo JSON protocol
 * for the same generator clients (connect → a reply, subscribe → join the channel's set, pings
 * answered by the clients), and broadcasting what `POST /publish {channel, data}` gives it as the
 * same push frame Parley sends (`{"push":{"channel":…,"pub":{"data":…,"offset":n}}}`), serialized
 * once and written to every subscriber. No auth, no storage, no ordering work: the floor of what
 * fan-out to these sockets costs in Node. On 127.0.0.1:$PORT.
 */
import http from 'node:http';
import { WebSocketServer } from 'ws';

const channels = new Map();
const offsets = new Map();
let clientSeq = 0;

const server = http.createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/healthz') return response.end('{"ok":true}');
  if (request.method !== 'POST' || request.url !== '/publish') return response.writeHead(404).end();
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const { channel, data } = JSON.parse(Buffer.concat(chunks).toString());
    const offset = (offsets.get(channel) ?? 0) + 1;
    offsets.set(channel, offset);
    const frame = JSON.stringify({ push: { channel, pub: { data, offset } } });
    const subscribers = channels.get(channel);
    if (subscribers) for (const ws of subscribers) ws.send(frame);
    response.writeHead(200, { 'content-type': 'application/json' }).end(`{"offset":${offset}}`);
  });
});

const wss = new WebSocketServer({ server, path: '/connection/websocket', perMessageDeflate: false });
wss.on('connection', (ws) => {
  const joined = new Set();
  ws.on('message', (data) => {
    for (const line of data.toString().split('\n')) {
      if (!line || line === '{}') continue;
      const command = JSON.parse(line);
      if (command.connect) ws.send(JSON.stringify({ id: command.id, connect: { client: String(++clientSeq), version: 'raw-ws', ping: 25, pong: true } }));
      else if (command.subscribe) {
        const channel = command.subscribe.channel;
        let set = channels.get(channel);
        if (!set) channels.set(channel, (set = new Set()));
        set.add(ws);
        joined.add(channel);
        ws.send(JSON.stringify({ id: command.id, subscribe: { recoverable: true, offset: offsets.get(channel) ?? 0, epoch: 'raw' } }));
      } else if (command.id) ws.send(JSON.stringify({ id: command.id, error: { code: 108, message: 'not available' } }));
    }
  });
  ws.on('close', () => {
    for (const channel of joined) channels.get(channel)?.delete(ws);
  });
});

server.listen(Number(process.env.PORT), '127.0.0.1');
process.once('SIGTERM', () => process.exit(0));
