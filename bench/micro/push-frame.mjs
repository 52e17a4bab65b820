/**
 * node bench/micro/push-frame.mjs [iterations]
 * In-process cost of what the gateway does per recipient of a publication: JSON.stringify of the
 * push frame (`{"push":{"channel","pub":{"data":<message.new event>,"offset"}}}`, shaped like a
 * delivered fanout frame, ≈ 920 bytes) and its UTF-8 conversion (what `ws.send(string)` does per
 * socket). Prints one JSON line: bytes, µs per stringify, µs per conversion.
 */
const iterations = Number(process.argv[2] ?? 200_000);
const text = 'bench:1763710000000.123:Deploy is green, merging the release branch now; notes are in the docs folder';
const user = { id: 's1234', name: 'User s1234', image: null };
const message = {
  id: '019aa5c0-1234-7abc-8def-0123456789ab',
  cid: 'messaging:f-12',
  type: 'regular',
  seq: 42,
  user,
  text,
  html: `<p>${text}</p>\n`,
  attachments: [],
  mentioned_users: [],
  reaction_counts: {},
  reaction_scores: {},
  latest_reactions: [],
  own_reactions: [],
  reply_count: 0,
  parent_id: null,
  show_in_channel: false,
  quoted_message_id: null,
  pinned: false,
  silent: false,
  custom: {},
  created_at: '2026-11-21T07:30:00.000Z',
  updated_at: '2026-11-21T07:30:00.000Z',
  deleted_at: null,
};
const frame = { push: { channel: 'chat:messaging:f-12', pub: { data: { type: 'message.new', created_at: '2026-11-21T07:30:00.000Z', user, message }, offset: 42 } } };

let encoded = '';
for (let i = 0; i < 20_000; i++) encoded = JSON.stringify(frame);
let started = performance.now();
for (let i = 0; i < iterations; i++) encoded = JSON.stringify(frame);
const stringifyUs = ((performance.now() - started) * 1000) / iterations;
started = performance.now();
for (let i = 0; i < iterations; i++) Buffer.from(encoded);
const utf8Us = ((performance.now() - started) * 1000) / iterations;
console.log(JSON.stringify({ bytes: Buffer.byteLength(encoded), stringify_us: Number(stringifyUs.toFixed(2)), utf8_us: Number(utf8Us.toFixed(2)) }));
