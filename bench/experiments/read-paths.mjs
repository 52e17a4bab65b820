/**
 * node bench/experiments/read-paths.mjs [--iterations 300]
 *
 * Evidence for the read-path fixes proposed in docs/benchmarks.md: on the query-channels
 * fixture (a user in 1,000 channels, 50 messages each, 3 unread), times the server's own
 * statements (recorded from packages/server/dist) against rewritten ones, each run serially
 * through `pg` (p50/p99 round trip, ms), plus the median EXPLAIN ANALYZE execution and planning
 * times of 21 runs:
 *   unread:   doUnread's two statements   vs one statement (mentions by one range scan over the
 *             user's flags), without and with a covering partial index for the unread count;
 *   messages: buildStates' message statement (30 channels x 26 messages, 780 rows) and a history
 *             page (50 rows) vs the same with the mentioned/latest/own subqueries skipped when the
 *             row has no mentions / no reactions (case guards).
 * Prints one JSON line. Nothing here changes the server; the index is created in this run's
 * temporary database only.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { captureQueries, median, serverModule } from '../lib/explain.mjs';
import { unthrottledApp } from '../lib/fixture.mjs';
import { startParleyWithDb } from '../lib/parley-db.mjs';
import { summarize } from '../lib/latency.mjs';
import { seedConversations } from '../lib/seed.mjs';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '300' } } });
const ITERATIONS = Number(values.iterations);
const READER = 'reader';

async function time(pool, statements) {
  const client = await pool.connect();
  try {
    for (let i = 0; i < 20; i++) for (const s of statements) await client.query(s.sql, s.params);
    const durations = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const t0 = performance.now();
      for (const s of statements) await client.query(s.sql, s.params);
      durations.push(performance.now() - t0);
    }
    // EXPLAIN ANALYZE (no per-node timing) 21 times: the median execution and planning time.
    const execs = [];
    const plans = [];
    for (let i = 0; i < 21; i++) {
      let exec = 0;
      let plan = 0;
      for (const s of statements) {
        const json = (await client.query(`explain (analyze, timing off, format json) ${s.sql}`, s.params)).rows[0]['QUERY PLAN'][0];
        exec += json['Execution Time'];
        plan += json['Planning Time'];
      }
      execs.push(exec);
      plans.push(plan);
    }
    return { ...summarize(durations), explain_exec_ms: Number(median(execs).toFixed(3)), explain_plan_ms: Number(median(plans).toFixed(3)) };
  } finally {
    client.release();
  }
}

const UNREAD_ONE_STATEMENT = `with mine as (
    select cm.type, cm.channel_id, cm.last_read_seq, greatest(cm.last_read_seq, c.truncated_seq) as from_seq
    from channel_members cm join channels c on c.app_id = cm.app_id and c.type = cm.type and c.id = cm.channel_id
    where cm.app_id = $1 and cm.user_id = $2 and c.deleted_at is null and cm.last_read_seq < c.last_seq
  ), mentions as (
    select f.type, f.channel_id, count(*)::int as n
    from user_message_flags f
    join mine on mine.type = f.type and mine.channel_id = f.channel_id
    join messages msg on msg.app_id = f.app_id and msg.id = f.message_id
    where f.app_id = $1 and f.user_id = $2 and f.mentioned and f.seq > mine.from_seq
      and msg.deleted_at is null and (msg.parent_id is null or msg.show_in_channel) and msg.user_id is distinct from $2 and msg.kind <> 'system'
    group by f.type, f.channel_id
  )
  select mine.type, mine.channel_id, mine.last_read_seq,
    (select count(*)::int from messages msg where msg.app_id = $1 and msg.type = mine.type and msg.channel_id = mine.channel_id
       and msg.seq > mine.from_seq and msg.deleted_at is null and (msg.parent_id is null or msg.show_in_channel)
       and msg.user_id is distinct from $2 and msg.kind <> 'system') as unread,
    coalesce(mentions.n, 0) as mentions
  from mine left join mentions on mentions.type = mine.type and mentions.channel_id = mine.channel_id`;

const UNREAD_INDEX = `create index messages_unread on messages (app_id, type, channel_id, seq) include (user_id)
  where deleted_at is null and (parent_id is null or show_in_channel) and kind <> 'system'`;

/** messageSelect with its per-row subqueries skipped when there is nothing to find. */
function guarded(sql) {
  const mentioned = "coalesce((select json_agg(json_build_object('id', mu.id";
  const latest = 'coalesce((select json_agg(x.j order by x.created_at desc)';
  const own = 'coalesce((select json_agg(json_build_object(\'message_id\', r.message_id';
  let out = sql.split(mentioned).join(`case when cardinality(m.mentioned_user_ids) = 0 then '[]'::json else ${mentioned}`);
  out = out.split("'[]') as mentioned").join("'[]') end as mentioned");
  out = out.split(latest).join(`case when m.reaction_counts = '{}'::jsonb then '[]'::json else ${latest}`);
  out = out.split("'[]') as latest").join("'[]') end as latest");
  out = out.split(own).join(`case when m.reaction_counts = '{}'::jsonb then '[]'::json else ${own}`);
  out = out.split("'[]') as own").join("'[]') end as own");
  if (out === sql || (out.match(/ end as (mentioned|latest|own)/g) ?? []).length % 3 !== 0) throw new Error('messageSelect changed: update guarded()');
  return out;
}

await import('../lib/processes.mjs');
const parley = await startParleyWithDb();
const pool = new pg.Pool({ connectionString: parley.dbUrl, max: 10 });
try {
  const app = await unthrottledApp(parley, 'bench-read-paths');
  const setup = await pool.connect();
  await seedConversations(setup, { appId: app.appId, prefix: 'q', channels: 1000, messages: 50_000, reader: READER, members: 4, authors: 400, unread: 3, mentionEvery: 10, otherMentionEvery: 5, label: 'seed' });
  setup.release();
  const auth = { appId: app.appId, kind: 'user', user: { id: READER, role: 'user', name: null, image: null } };
  const { doUnread } = await serverModule('actions/read-state.js');
  const { doQueryChannels } = await serverModule('actions/channel-query.js');
  const { messageWindow } = await serverModule('actions/channel-state.js');
  const { findChannel } = await serverModule('db/channels.js');

  const unreadNow = (await captureQueries(pool, (db) => doUnread({ pool: db }, auth))).statements;
  const oneStatement = [{ sql: UNREAD_ONE_STATEMENT, params: [app.appId, READER] }];
  // Same answer?
  const a = (await doUnread({ pool }, auth)).channels.map((c) => `${c.cid}:${c.unread_count}:${c.unread_mentions}`).join();
  const rows = (await pool.query(UNREAD_ONE_STATEMENT, [app.appId, READER])).rows;
  const b = rows.filter((r) => r.unread > 0 || r.mentions > 0).map((r) => `${r.type}:${r.channel_id}:${r.unread}:${r.mentions}`).sort().join();
  const aSorted = a.split(',').sort().join();
  if (aSorted !== b) throw new Error('the one-statement unread query disagrees with doUnread');

  const queryNow = (await captureQueries(pool, (db) => doQueryChannels({ pool: db }, auth, { filter: {}, limit: 30 }))).statements;
  const messagesStatement = queryNow.find((s) => s.sql.includes('cross join lateral') && s.sql.includes('order by m.seq desc'));
  const channel = await findChannel(pool, app.appId, 'messaging', 'qc7');
  const pageNow = (await captureQueries(pool, (db) => messageWindow(db, channel, READER, { limit: 50 }))).statements;

  console.error('timing unread (current, two statements)');
  const unreadCurrent = await time(pool, unreadNow);
  console.error('timing unread (one statement)');
  const unreadOne = await time(pool, oneStatement);
  console.error('timing query-channels message statement (current, guarded)');
  const messagesCurrent = await time(pool, [messagesStatement]);
  const messagesGuarded = await time(pool, [{ sql: guarded(messagesStatement.sql), params: messagesStatement.params }]);
  const pageCurrent = await time(pool, pageNow);
  const pageGuarded = await time(pool, pageNow.map((s) => ({ sql: guarded(s.sql), params: s.params })));
  console.error('creating the covering partial index; timing unread again');
  await pool.query(UNREAD_INDEX);
  await pool.query('vacuum analyze messages');
  const unreadCurrentIndexed = await time(pool, unreadNow);
  const unreadOneIndexed = await time(pool, oneStatement);

  process.stdout.write(
    JSON.stringify({
      experiment: 'read-paths',
      iterations: ITERATIONS,
      unread_current: { statements: unreadNow.length, ...unreadCurrent },
      unread_one_statement: unreadOne,
      unread_current_with_index: unreadCurrentIndexed,
      unread_one_statement_with_index: unreadOneIndexed,
      query_messages_current: messagesCurrent,
      query_messages_guarded: messagesGuarded,
      history_page_current: pageCurrent,
      history_page_guarded: pageGuarded,
      loadavg_1m: Number((await import('node:os')).loadavg()[0].toFixed(2)),
    }) + '\n',
  );
} finally {
  await pool.end();
  await parley.stop();
}
process.exit(0);
