/**
 * Fast seeding with COPY (pg-copy-streams), straight into the tables, as a realistic data set:
 * channels, their members, users, and messages interleaved across channels in time order (message
 * i goes to channel i mod M with the channel's next seq, so a channel's messages are spread over
 * the whole table as in a busy app), with channels.last_seq / last_message_at / member_count and
 * the read pointers consistent with the messages.
 *
 * As a command it fills the history scenario's kept database (see ensureHistorySeed):
 *   node bench/lib/seed.mjs [--messages 10000000] [--channels 100000] [--fresh]
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { int, scenarioArgs } from './args.mjs';
import { unthrottledApp } from './fixture.mjs';
import { startParleyWithDb } from './parley-db.mjs';

const { from: copyFrom } = copyStreams;

// ---------------------------------------------------------------- progress bar (stderr)

/** A one-line progress bar on stderr (redrawn in place on a terminal, every 10 % otherwise). */
export function progressBar(label, total) {
  const tty = process.stderr.isTTY;
  const started = performance.now();
  let lastDraw = 0;
  let lastDecile = -1;
  const fmt = (n) => n.toLocaleString('en-US');
  const line = (done) => {
    const seconds = (performance.now() - started) / 1000;
    const rate = done / Math.max(seconds, 1e-3);
    const ratio = total > 0 ? done / total : 1;
    const width = 30;
    const filled = Math.round(ratio * width);
    const eta = rate > 0 ? Math.ceil((total - done) / rate) : 0;
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(1).padStart(5)}% ${fmt(done)}/${fmt(total)} ${fmt(Math.round(rate))}/s ETA ${eta}s`;
  };
  return {
    update(done) {
      const now = performance.now();
      if (tty) {
        if (now - lastDraw < 200 && done < total) return;
        lastDraw = now;
        process.stderr.write(`\r${line(done)}\x1b[K`);
      } else {
        const decile = Math.floor((done / Math.max(total, 1)) * 10);
        if (decile !== lastDecile) {
          lastDecile = decile;
          process.stderr.write(line(done) + '\n');
        }
      }
    },
    done(done = total) {
      if (tty) process.stderr.write(`\r${line(done)}\x1b[K\n`);
      else if (lastDecile !== 10) process.stderr.write(line(done) + '\n');
      return (performance.now() - started) / 1000;
    },
  };
}

// ---------------------------------------------------------------- row material

const WORDS = (
  'the a to and of in is it you that for on we this be with are have not at can do so but if about what just ' +
  'deploy release build review ticket meeting lunch tomorrow today later thanks sure okay great nice ship fix bug ' +
  'merge branch staging prod customer invoice design draft call sync update docs test flaky green red check'
).split(' ');

/** Deterministic, cheap pseudo-random numbers (xorshift32): the same seed gives the same data. */
function rng(seed) {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A UUIDv7 for time `ms` (as uuidv7() makes them: time-ordered, 74 random bits), from `bytes` at `offset` (10 bytes). */
function uuidv7At(ms, bytes, offset) {
  const t = ms.toString(16).padStart(12, '0');
  const b = (i) => HEX[bytes[offset + i]];
  const version = '7' + HEX[bytes[offset] & 0x0f].slice(1) + b(1);
  const variant = HEX[0x80 | (bytes[offset + 2] & 0x3f)] + b(3);
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-${version}-${variant}-${b(4)}${b(5)}${b(6)}${b(7)}${b(8)}${b(9)}`;
}

function sentence(next, words) {
  const out = [];
  for (let w = 0; w < words; w++) out.push(WORDS[next() % WORDS.length]);
  out[0] = out[0][0].toUpperCase() + out[0].slice(1);
  return out.join(' ');
}

async function copyRows(client, sql, rows, label, total) {
  const bar = label ? progressBar(label, total) : null;
  let done = 0;
  async function* chunks() {
    let buffer = [];
    for (const row of rows) {
      buffer.push(row);
      if (buffer.length === 2_000) {
        done += buffer.length;
        bar?.update(done);
        yield buffer.join('\n') + '\n';
        buffer = [];
      }
    }
    if (buffer.length > 0) {
      done += buffer.length;
      yield buffer.join('\n') + '\n';
    }
  }
  await pipeline(Readable.from(chunks()), client.query(copyFrom(sql)));
  return bar ? bar.done(done) : 0;
}

// ---------------------------------------------------------------- the seeder

/**
 * Seeds one app. Options:
 *   appId, type ('messaging'), prefix (of channel and author ids), channels (M), messages (N, in
 *   all), reader (a user who is a member of every channel), members (other members per channel,
 *   who are then the authors; 0: authors come from a pool of `authors` users who are not members),
 *   authors (1,000), unread (the reader's pointer is this many messages behind the end of each
 *   channel; 0: all read), mentionEvery (every k-th channel's last message @mentions the reader,
 *   with its user_message_flags row; 0: none), otherMentionEvery (every k-th message @mentions
 *   another member, with its flags row, so that the flags table is not the reader's alone; needs
 *   members >= 2), label (progress label).
 * Resolves to { seconds, copy_seconds, index_seconds, rows_per_s }.
 */
export async function seedConversations(client, o) {
  const type = o.type ?? 'messaging';
  const { appId, prefix, reader } = o;
  const M = o.channels;
  const N = o.messages;
  const members = o.members ?? 0;
  const authorsCount = o.authors ?? 1_000;
  const unread = o.unread ?? 0;
  const mentionEvery = o.mentionEvery ?? 0;
  const otherMentionEvery = members > 1 ? (o.otherMentionEvery ?? 0) : 0;
  const label = o.label ?? 'seed';
  const started = performance.now();
  const spanMs = 30 * 24 * 3600 * 1000; // messages spread over the last 30 days
  const end = Date.now() - 60_000;
  const start = end - spanMs;
  const at = (i) => Math.floor(start + (i * spanMs) / Math.max(N, 1));
  const count = (c) => Math.floor(N / M) + (c < N % M ? 1 : 0);
  const channelId = (c) => `${prefix}c${c}`;
  const authorId = (k) => `${prefix}u${k % authorsCount}`;
  const memberOf = (c, k) => authorId(c * members + k);

  // Consistency is by construction: skip the per-row foreign key triggers (superuser only).
  await client.query("set session_replication_role = replica; set maintenance_work_mem = '1GB'; set synchronous_commit = off");

  const userIds = [reader, ...Array.from({ length: authorsCount }, (_, k) => authorId(k))];
  await client.query(
    `insert into users (app_id, id, name) select $1, u, initcap(u) from unnest($2::text[]) u on conflict (app_id, id) do nothing`,
    [appId, userIds],
  );

  const channelRows = function* () {
    const created = new Date(start - 86_400_000).toISOString();
    for (let c = 0; c < M; c++) {
      const n = count(c);
      const last = n > 0 ? new Date(at((n - 1) * M + c)).toISOString() : '\\N';
      // app_id type id name created_by last_seq last_message_at member_count created_at updated_at
      yield `${appId}\t${type}\t${channelId(c)}\tChannel ${c}\t${reader}\t${n}\t${last}\t${1 + members}\t${created}\t${created}`;
    }
  };
  await copyRows(client, 'copy channels (app_id, type, id, name, created_by, last_seq, last_message_at, member_count, created_at, updated_at) from stdin', channelRows(), `${label} channels`, M);

  const memberRows = function* () {
    const created = new Date(start - 86_400_000).toISOString();
    for (let c = 0; c < M; c++) {
      const read = Math.max(0, count(c) - unread);
      yield `${appId}\t${type}\t${channelId(c)}\t${reader}\towner\t${read}\t${read}\t${created}\t${created}`;
      for (let k = 0; k < members; k++) yield `${appId}\t${type}\t${channelId(c)}\t${memberOf(c, k)}\tmember\t${count(c)}\t${count(c)}\t${created}\t${created}`;
    }
  };
  await copyRows(
    client,
    'copy channel_members (app_id, type, channel_id, user_id, role, last_read_seq, last_delivered_seq, created_at, updated_at) from stdin',
    memberRows(),
    `${label} members`,
    M * (1 + members),
  );

  // Large loads: build the two big unique indexes once after the COPY rather than row by row.
  const rebuild = N >= 500_000;
  const indexes = [];
  if (rebuild) {
    const pk = await client.query("select conname, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'messages'::regclass and contype = 'p'");
    const bySeq = await client.query("select indexdef from pg_indexes where schemaname = current_schema() and tablename = 'messages' and indexname = 'messages_by_seq'");
    for (const row of pk.rows) {
      indexes.push(`alter table messages add constraint ${row.conname} ${row.def}`);
      await client.query(`alter table messages drop constraint ${row.conname}`);
    }
    for (const row of bySeq.rows) {
      indexes.push(row.indexdef);
      await client.query('drop index messages_by_seq');
    }
  }

  const mentions = [];
  const messageRows = function* () {
    const next = rng(0x5eed ^ M ^ N);
    let bytes = randomBytes(0);
    let offset = 0;
    for (let i = 0; i < N; i++) {
      if (offset + 10 > bytes.length) {
        bytes = randomBytes(100_000);
        offset = 0;
      }
      const c = i % M;
      const seq = Math.floor(i / M) + 1;
      const ms = at(i);
      const id = uuidv7At(ms, bytes, offset);
      offset += 10;
      const author = members > 0 ? memberOf(c, seq % members) : authorId(next());
      let text = sentence(next, 6 + (next() % 11));
      let mentioned = '{}';
      if (mentionEvery > 0 && c % mentionEvery === 0 && seq === count(c)) {
        text = `@${reader} ${text}`;
        mentioned = `{${reader}}`;
        mentions.push({ user: reader, id, c, seq, ms });
      } else if (otherMentionEvery > 0 && i % otherMentionEvery === 0) {
        // Someone else in the channel (not the author, not the reader) is mentioned.
        const other = memberOf(c, (seq + 1) % members);
        text = `@${other} ${text}`;
        mentioned = `{${other}}`;
        mentions.push({ user: other, id, c, seq, ms });
      }
      const iso = new Date(ms).toISOString();
      // app_id id type channel_id seq user_id kind text html attachments custom mentioned_user_ids created_at updated_at
      yield `${appId}\t${id}\t${type}\t${channelId(c)}\t${seq}\t${author}\tregular\t${text}\t<p>${text}</p>\t[]\t{}\t${mentioned}\t${iso}\t${iso}`;
    }
  };
  const copySeconds = await copyRows(
    client,
    'copy messages (app_id, id, type, channel_id, seq, user_id, kind, text, html, attachments, custom, mentioned_user_ids, created_at, updated_at) from stdin',
    messageRows(),
    `${label} messages`,
    N,
  );

  if (mentions.length > 0) {
    const flagRows = mentions.map((m) => `${appId}\t${m.user}\t${m.id}\t${type}\t${channelId(m.c)}\t${m.seq}\tt\t${new Date(m.ms).toISOString()}`);
    await copyRows(client, 'copy user_message_flags (app_id, user_id, message_id, type, channel_id, seq, mentioned, created_at) from stdin', flagRows, null, flagRows.length);
  }

  const indexStarted = performance.now();
  for (const sql of indexes) {
    console.error(`${label}: ${sql.slice(0, 100)}`);
    await client.query(sql);
  }
  console.error(`${label}: vacuum analyze`);
  for (const table of ['users', 'channels', 'channel_members', 'messages', 'user_message_flags']) await client.query(`vacuum (analyze) ${table}`);
  await client.query('checkpoint');
  await client.query('reset session_replication_role; reset maintenance_work_mem; reset synchronous_commit');
  const indexSeconds = (performance.now() - indexStarted) / 1000;
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds: Number(seconds.toFixed(1)),
    copy_seconds: Number(copySeconds.toFixed(1)),
    index_seconds: Number(indexSeconds.toFixed(1)),
    rows_per_s: Math.round(N / Math.max(copySeconds, 1e-3)),
  };
}

// ---------------------------------------------------------------- the history scenario's kept database

export const HISTORY_DIR = path.join(os.tmpdir(), 'parley-bench-history');
const MARKER = '.parley-bench-history';
const MANIFEST = 'bench-seed.json';
const SEED_VERSION = 1;
/** Disk a seeded message takes, all told (heap, indexes, WAL during the load), with margin. */
const BYTES_PER_MESSAGE = 900;

const HISTORY_DEFAULTS = { messages: 10_000_000, channels: 100_000 };

function freeBytes(dir) {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

function readManifest(dir) {
  try {
    return JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8'));
  } catch {
    return null;
  }
}

/**
 * The history scenario's database, seeded with `messages` across `channels` (one app, a reader
 * who belongs to every channel), kept in HISTORY_DIR between runs (BENCH_HISTORY_DIR overrides)
 * and reused when its manifest matches; reseeded from scratch otherwise or with `fresh`.
 * Checks the free disk first and scales down when the full size does not fit (recorded in the
 * manifest as scaled_down). Resolves to { parley (running), manifest, reused }.
 */
export async function ensureHistorySeed({ messages = HISTORY_DEFAULTS.messages, channels = HISTORY_DEFAULTS.channels, fresh = false, start = startParleyWithDb } = {}) {
  const dir = process.env.BENCH_HISTORY_DIR || HISTORY_DIR;
  const manifest = readManifest(dir);
  const matches = manifest && manifest.version === SEED_VERSION && manifest.requested_messages === messages && manifest.channels === channels;
  if (matches && !fresh) {
    const parley = await start({ dataDir: dir });
    console.error(`bench: reusing the seeded database in ${dir} (${manifest.messages.toLocaleString('en-US')} messages, ${manifest.channels.toLocaleString('en-US')} channels)`);
    return { parley, manifest, reused: true };
  }
  if (existsSync(dir)) {
    // Only ever remove a directory this module made.
    if (!existsSync(path.join(dir, MARKER))) throw new Error(`${dir} exists and is not a bench history directory (no ${MARKER}); remove it or set BENCH_HISTORY_DIR`);
    console.error(`bench: ${manifest ? 'seed differs from the one requested' : 'no complete seed'}${fresh ? ' (or --fresh)' : ''}: removing ${dir}`);
    rmSync(dir, { recursive: true, force: true });
  }

  const free = freeBytes(os.tmpdir());
  let target = messages;
  let scaledDown = false;
  if (free < messages * BYTES_PER_MESSAGE) {
    target = Math.max(channels, Math.floor(free / BYTES_PER_MESSAGE / 2 / 1_000_000) * 1_000_000);
    scaledDown = true;
    console.error(`bench: ${(free / 1e9).toFixed(1)} GB free in ${os.tmpdir()}, ${((messages * BYTES_PER_MESSAGE) / 1e9).toFixed(1)} GB needed: scaling down to ${target} messages`);
  } else {
    console.error(`bench: ${(free / 1e9).toFixed(1)} GB free in ${os.tmpdir()}; about ${((messages * BYTES_PER_MESSAGE) / 1e9).toFixed(1)} GB needed`);
  }

  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, MARKER), 'made by bench/lib/seed.mjs; safe to delete\n');
  const parley = await start({ dataDir: dir });
  try {
    const app = await unthrottledApp(parley, 'bench-history');
    const client = new pg.Client({ connectionString: parley.dbUrl });
    await client.connect();
    let timing;
    try {
      console.error(`bench: seeding ${target.toLocaleString('en-US')} messages across ${channels.toLocaleString('en-US')} channels`);
      timing = await seedConversations(client, { appId: app.appId, prefix: 'h', channels, messages: target, reader: 'reader', label: 'seed' });
      const size = await client.query('select pg_database_size(current_database()) as bytes');
      const written = {
        version: SEED_VERSION,
        requested_messages: messages,
        messages: target,
        channels,
        scaled_down: scaledDown,
        app_id: app.appId,
        key_id: app.keyId,
        secret: app.secret,
        type: 'messaging',
        prefix: 'h',
        reader: 'reader',
        database_bytes: Number(size.rows[0].bytes),
        seeded_at: new Date().toISOString(),
        ...timing,
      };
      writeFileSync(path.join(dir, MANIFEST), JSON.stringify(written, null, 2) + '\n');
      console.error(`bench: seeded in ${timing.seconds} s (COPY ${timing.copy_seconds} s at ${timing.rows_per_s.toLocaleString('en-US')} rows/s, indexes+vacuum ${timing.index_seconds} s); database ${(written.database_bytes / 1e9).toFixed(2)} GB`);
      return { parley, manifest: written, reused: false };
    } finally {
      await client.end();
    }
  } catch (error) {
    await parley.stop();
    throw error;
  }
}

/** Options of the seed command and of the history scenario. */
export function historyArgs({ standalone = false } = {}) {
  const raw = scenarioArgs(
    { messages: { type: 'string', default: HISTORY_DEFAULTS.messages }, channels: { type: 'string', default: HISTORY_DEFAULTS.channels }, fresh: { type: 'boolean', default: false } },
    { standalone },
  );
  const messages = int(raw.messages, 'messages');
  const channels = int(raw.channels, 'channels', { max: messages });
  return { messages, channels, fresh: raw.fresh };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await import('./processes.mjs');
  try {
    const options = historyArgs({ standalone: true });
    const { parley, manifest, reused } = await ensureHistorySeed(options);
    await parley.stop();
    const { secret: _secret, ...shown } = manifest;
    process.stdout.write(JSON.stringify({ reused, dir: process.env.BENCH_HISTORY_DIR || HISTORY_DIR, ...shown }) + '\n');
    process.exit(0);
  } catch (error) {
    console.error(`seed: ${error.stack ?? error}`);
    process.exit(1);
  }
}
