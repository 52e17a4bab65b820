/**
 * The fan-out layout shared by the fanout and reconnect-storm scenarios, and its seeding through
 * the API: `channels` small channels of `members` members each (`f-<k>`, members `s<i>`), one big
 * channel of `big` members (`f-big`, members `b<j>`), and a client list of `clients` connections:
 * one per small-channel member, one per big-channel member, and the rest second devices of the
 * small-channel members (subscribed to their user's channel), so that `clients` can exceed the
 * member count. Every client subscribes to exactly one channel (plus its personal channel). Small
 * channels are `messaging` (at most 100 members), the big one `team`.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { userToken } from './tokens.mjs';

const TYPE = 'messaging';
/** The big channel is a `team` channel: `messaging` allows at most 100 members. */
const BIG_TYPE = 'team';
export const BIG = 'f-big';

async function call(base, method, path, token, body) {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function inBatches(items, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** The layout: channel names, their members, the client list and each channel's subscriber count. */
export function layout({ clients, channels, members, big }) {
  const memberCount = channels * members + big;
  if (clients < memberCount) throw new Error(`--clients ${clients} is below the members (${channels} channels × ${members} + ${big}); lower --channels/--members/--big`);
  const list = [];
  const subscribers = new Map();
  const add = (user, channel) => {
    list.push({ user, channel });
    subscribers.set(channel, (subscribers.get(channel) ?? 0) + 1);
  };
  const small = (i) => `chat:${TYPE}:f-${Math.floor(i / members)}`;
  for (let i = 0; i < channels * members; i++) add(`s${i}`, small(i));
  for (let j = 0; j < big; j++) add(`b${j}`, `chat:${BIG_TYPE}:${BIG}`);
  for (let i = 0; i < clients - memberCount; i++) add(`s${i % (channels * members)}`, small(i % (channels * members)));
  const channelList = [
    ...Array.from({ length: channels }, (_, k) => ({ type: TYPE, id: `f-${k}`, name: `chat:${TYPE}:f-${k}`, sender: `s${k * members}` })),
    ...(big > 0 ? [{ type: BIG_TYPE, id: BIG, name: `chat:${BIG_TYPE}:${BIG}`, sender: 'b0' }] : []),
  ];
  return { clients: list, subscribers, channels: channelList };
}

/** Creates the users and channels of `plan` (from layout()) in `app`; resolves to senders' tokens by channel id. */
export async function seed(parley, app, plan, { channels, members, big, presence = true }) {
  if (!presence) {
    // Presence off for both types: no presence entries per subscription, no join/leave, and no
    // user.presence.changed to co-members when a user comes online or goes offline.
    for (const type of [TYPE, BIG_TYPE]) await call(parley.url, 'PUT', `/v1/channel-types/${type}`, app.serverToken, { config: { presence: false } });
  }
  const users = [...Array.from({ length: channels * members }, (_, i) => `s${i}`), ...Array.from({ length: big }, (_, j) => `b${j}`)];
  const batches = [];
  for (let i = 0; i < users.length; i += 100) batches.push(users.slice(i, i + 100));
  const started = performance.now();
  await inBatches(batches, 4, (batch) => call(parley.url, 'POST', '/v1/users', app.serverToken, { users: batch.map((id) => ({ id, name: `User ${id}` })) }));
  const small = Array.from({ length: channels }, (_, k) => k);
  await inBatches(small, 8, (k) =>
    call(parley.url, 'POST', '/v1/channels', app.serverToken, { type: TYPE, id: `f-${k}`, name: `Fan-out ${k}`, members: Array.from({ length: members }, (_, j) => `s${k * members + j}`) }),
  );
  if (big > 0) {
    const bigMembers = Array.from({ length: big }, (_, j) => `b${j}`);
    await call(parley.url, 'POST', '/v1/channels', app.serverToken, { type: BIG_TYPE, id: BIG, name: 'Fan-out big', members: bigMembers.slice(0, 100) });
    for (let i = 100; i < big; i += 100) await call(parley.url, 'POST', `/v1/channels/${BIG_TYPE}/${BIG}/members`, app.serverToken, { user_ids: bigMembers.slice(i, i + 100) });
  }
  console.error(`bench: seeded ${users.length} users, ${channels} channels × ${members} members${big ? ` and 1 × ${big}` : ''} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const tokens = new Map();
  for (const channel of plan.channels) tokens.set(channel.id, await userToken(app.keyId, app.secret, channel.sender));
  return tokens;
}

const FILLER = 'Deploy is green, merging the release branch now; notes are in the docs folder';

/** `bench:<ms since epoch, µs precision>:` then filler: the generators read the send time from it. */
export function benchText() {
  return `bench:${(performance.timeOrigin + performance.now()).toFixed(3)}:${FILLER}`;
}

/**
 * A request generator for pacedRequests/loadRequests: a message to a uniformly random channel of
 * `channels` (or always to `only`), by the channel's sender, with a unique client_msg_id.
 */
export function parleySender(channels, tokens, { only = null } = {}) {
  const run = randomBytes(4).toString('hex');
  let n = 0;
  return () => {
    const channel = only ?? channels[Math.floor(Math.random() * channels.length)];
    n++;
    return {
      method: 'POST',
      path: `/v1/channels/${channel.type}/${channel.id}/messages`,
      headers: { authorization: `Bearer ${tokens.get(channel.id)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_msg_id: `${run}-${n}`, text: benchText() }),
      channel: channel.name,
    };
  };
}

/** The same for the raw ws baseline: POST /publish of `template` (a delivered Parley event) with the text replaced. */
export function rawSender(channels, template, { only = null } = {}) {
  return () => {
    const channel = only ?? channels[Math.floor(Math.random() * channels.length)];
    return {
      method: 'POST',
      path: '/publish',
      headers: { 'content-type': 'application/json' },
      body: `{"channel":"${channel.name}","data":${template.replace('@@TEXT@@', benchText())}}`,
      channel: channel.name,
    };
  };
}

/** A delivered Parley frame's event as a template with its text replaceable (see rawSender). */
export function templateOf(frame) {
  const data = JSON.parse(frame).push.pub.data;
  const text = data.message?.text;
  if (typeof text !== 'string') throw new Error('the sample frame is not a message event');
  data.message.text = '@@TEXT@@';
  return JSON.stringify(data);
}

/**
 * Open-loop sends at `rate` per second for `duration` seconds (request i at start + i/rate),
 * recording each response: { issuedAt (ms since start), ms, status, channel }. `saturated` is true
 * once more than a second's worth was unanswered at some point; then it stops early, unless
 * `stopWhenSaturated` is false (it goes on offering the rate: open loop to the end).
 */
export async function pacedSends({ url, next, rate, duration, sockets = 64, until = null, stopWhenSaturated = true }) {
  const base = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const records = [];
  let errors = 0;
  const pending = [];
  const start = performance.now();
  let sent = 0;
  let saturated = false;
  let overloaded = false;
  const fire = () =>
    new Promise((resolve) => {
      const { method, path, headers, body, channel } = next();
      const issued = performance.now();
      const request = http.request({ host: base.hostname, port: base.port, method, path, headers, agent, timeout: 30_000 }, (response) => {
        response.resume();
        response.on('end', () => {
          records.push({ issuedAt: issued - start, ms: performance.now() - issued, status: response.statusCode, channel });
          resolve();
        });
      });
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', () => {
        errors++;
        resolve();
      });
      request.end(body);
    });
  const total = duration === Infinity ? Infinity : rate * duration;
  while (sent < total && !saturated && !(until && until())) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    for (; sent < due; sent++) pending.push(fire());
    if (sent - records.length - errors > rate) {
      overloaded = true;
      if (stopWhenSaturated) saturated = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  agent.destroy();
  return { records, errors, sent, saturated: saturated || overloaded, seconds: (performance.now() - start) / 1000 };
}
