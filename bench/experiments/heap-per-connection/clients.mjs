/** The probe's clients (see probe.mjs): connect, subscribe to chat:messaging:c<i/10>, answer pings, stay. */
import fs from 'node:fs';
import WebSocket from 'ws';

const [port, tokenFile] = process.argv.slice(2);
const tokens = JSON.parse(fs.readFileSync(tokenFile, 'utf8'));
const sockets = [];
await Promise.all(tokens.map((token, i) => new Promise((resolve) => {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/connection/websocket`);
  sockets.push(ws);
  ws.on('open', () => ws.send(JSON.stringify({ id: 1, connect: { token } }) + '\n' + JSON.stringify({ id: 2, subscribe: { channel: `chat:messaging:c${Math.floor(i / 10)}` } })));
  ws.on('message', (d) => { const s = d.toString(); if (s.includes('"id":2')) resolve(); else if (s === '{}') ws.send('{}'); });
})));
process.send('ready');
setInterval(() => {}, 1000);
