/**
 * The PostgreSQL schema of the event store: one `events` table and the `append_events` function
 * that every append goes through. `postgres-event-store.ts` explains why the function takes a short
 * lock around the insert; this module only says what is created, how an older schema is brought up
 * to date, and how both are done safely.
 *
 * Schema history (the version is a comment on the events table, `elicence-postgres schema N`;
 * schema 1 wrote its marker on its `append_events` instead, so a table without one is schema 1):
 * - 1: the events table, its sequence and indexes, and `append_events(text, integer, text, text[],
 *   text[], text[], text[])`.
 * - 2: `partition_key`, the FNV-1a 32-bit hash of the stream id's UTF-8 bytes (`streamPartitionKey`
 *   of @elicence/domain), computed by the store in Node and passed to a new `append_events` that
 *   takes it as its second argument (the old one is dropped); the covering index
 *   `events_by_partition` and the function `read_partition` that `readPartition` calls; and
 *   `stream_partition_key(text)`, the same hash in SQL, which backfills the events of a schema 1
 *   database.
 * - 3: `lock_and_read` and `append_batch`, the two halves of a transaction that decides on several
 *   streams at once (batched-decisions.ts): the streams' locks and what each decision reads, then
 *   the append of all their events in one call.
 * - 4: `append_if_current`, a batch decided ahead on states the store already knew, in one call:
 *   the locks, the check that each stream is still where it was decided on, and the append of the
 *   events of those that are (batched-decisions.ts).
 *
 * Creation and migration are one script, idempotent (`IF NOT EXISTS`, `CREATE OR REPLACE`, `DROP
 * … IF EXISTS`), so that a new database and a migrated one are built by the same statements. It
 * runs in one transaction under a transaction-level advisory lock: two processes starting at once
 * would otherwise race on the catalog (`CREATE TABLE IF NOT EXISTS` is not safe against a
 * concurrent creator: one of them fails with a unique violation on `pg_type`). The caller reads the
 * version again once it holds the lock and runs the script only if the schema is still older, so
 * the second of two processes starting on an old database finds the migration done.
 *
 * The backfill is done in SQL, in the same transaction, rather than from Node in batches: the
 * migration is then all or nothing, and no reader or writer ever sees a table where some events
 * have a key and others not (batches would need the column to stay nullable and readers to wait
 * for the end). The price is an exclusive lock on the table while it is rewritten with the new
 * column: readers and writers wait, none fails (measured: 7 s for a million events, 900 MB, on one
 * of our two-core machines).
 *
 * @example
 * const { rows } = await pool.query(schemaVersionSql('elicence')) // rows[0].version: 0, 1, 2 …
 * // if older: BEGIN; SELECT pg_advisory_xact_lock(…) (schemaLockSql); read the version again;
 * // client.query(schemaSql('elicence')); COMMIT
 */

/** Lower-case SQL identifiers only: the name is interpolated into DDL, so nothing needs quoting rules. */
export const isValidSchemaName = (name: string): boolean => /^[a-z_][a-z0-9_]{0,62}$/.test(name)

export const defaultSchema = 'elicence'

/** Name of the unique constraint whose violation means "someone else took this stream version". */
export const streamVersionConstraint = 'events_stream_version'

/**
 * Advisory-lock keys are 64-bit hashes of names under the schema, so two stores in different schemas
 * of one database never wait for each other.
 */
const lockKey = (schema: string, purpose: string): string =>
  `hashtextextended('${schema}.events:${purpose}', 0)`

/** Bumped whenever the DDL below changes; the DDL runs again on a schema marked with an older one. */
export const schemaVersion = 4

/** SQLSTATE raised by `append_events` when the batch does not continue the stream's hash chain. */
export const chainMismatchState = 'EL409'

const markerPrefix = 'elicence-postgres schema '
const schemaMarker = `${markerPrefix}${schemaVersion}`

/**
 * The version of the schema in place: 0 when there is no events table, 1 for a table without a
 * marker (schema 1 created its table and function in one transaction and marked the function),
 * else the table's marker. Asked of the catalog only, without touching the table: even `CREATE
 * INDEX IF NOT EXISTS` takes a share lock on it first and would wait for every open write
 * transaction (a store starting while a long append is open would stall). The marker is written
 * last by the DDL, in the same transaction.
 */
export const schemaVersionSql = (schema: string): string => `
SELECT CASE
  WHEN to_regclass('"${schema}".events') IS NULL THEN 0
  ELSE coalesce(
    substring(obj_description(to_regclass('"${schema}".events'), 'pg_class') FROM '^${markerPrefix}([0-9]+)$')::integer,
    1)
END AS version`

/**
 * Serialises every change to the schema's DDL across processes and adapters, held until the
 * transaction ends: the event store's creation and migration, and the read models' tables.
 * `CREATE SCHEMA IF NOT EXISTS` is not safe against a concurrent creator either (a unique violation
 * on `pg_namespace`), so whoever creates the schema takes this one lock.
 */
export const schemaLockSql = (schema: string): string =>
  `SELECT pg_advisory_xact_lock(${lockKey(schema, 'schema')})`

/**
 * The check both appends make, in PL/pgSQL, for one stream (each argument an SQL expression): the
 * stream's lock, and that the events start after an event with the given hash (64 zeros before the
 * first). Raises `chainMismatchState` when they do not.
 */
const continuesChainSql = (
  schema: string,
  stream: string,
  firstVersion: string,
  prevHash: string,
): string => `
    PERFORM pg_advisory_xact_lock(hashtextextended('${schema}.events:stream:' || ${stream}, 0));
    IF ${firstVersion} = 0 THEN
      v_prev_hash := repeat('0', 64);
    ELSE
      SELECT e.metadata->>'hash' INTO v_prev_hash FROM "${schema}".events AS e
        WHERE e.stream_id = ${stream} AND e.version = ${firstVersion} - 1;
    END IF;
    IF v_prev_hash IS DISTINCT FROM ${prevHash} THEN
      RAISE EXCEPTION 'stream % has no event % with the given hash', ${stream}, ${firstVersion} - 1
        USING ERRCODE = '${chainMismatchState}';
    END IF;`

/**
 * The critical section both appends run (see readAll in postgres-event-store.ts): the transaction's
 * id and `count` positions drawn together under a short session-level lock, into `v_positions`.
 */
const drawPositionsSql = (schema: string, count: string): string => `
  PERFORM pg_advisory_lock(${lockKey(schema, 'append')});
  BEGIN
    PERFORM pg_current_xact_id();
    v_positions := ARRAY(
      SELECT nextval('"${schema}".events_position') FROM generate_series(1, ${count}) ORDER BY 1);
  EXCEPTION WHEN OTHERS OR query_canceled THEN
    -- A session-level lock outlives a failed transaction: release it before re-raising, or every
    -- other writer would wait until this connection closes.
    PERFORM pg_advisory_unlock(${lockKey(schema, 'append')});
    RAISE;
  END;
  PERFORM pg_advisory_unlock(${lockKey(schema, 'append')});`

/** The DDL, as one multi-statement query; run it inside the transaction that holds the schema lock. */
export const schemaSql = (schema: string): string => `
CREATE SCHEMA IF NOT EXISTS "${schema}";

-- CACHE 1 (the default): values come out in the order they are drawn, across sessions; the no-skip
-- argument of readAll depends on it.
CREATE SEQUENCE IF NOT EXISTS "${schema}".events_position AS bigint CACHE 1;

-- The table as schema 1 created it; later columns are added below, so that a new database and a
-- migrated one are built by the same statements and end up alike, column order included.
CREATE TABLE IF NOT EXISTS "${schema}".events (
  -- No default: a row gets its position only from append_events, which draws it in the right order.
  position bigint PRIMARY KEY,
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream_id text NOT NULL,
  version integer NOT NULL CHECK (version >= 0),
  type text NOT NULL,
  -- json, not jsonb: the text is kept exactly as written (jsonb refuses \\u0000 and reorders keys).
  data json NOT NULL,
  metadata json NOT NULL,
  command_id text NOT NULL,
  CONSTRAINT ${streamVersionConstraint} UNIQUE (stream_id, version)
);

ALTER SEQUENCE "${schema}".events_position OWNED BY "${schema}".events.position;

CREATE INDEX IF NOT EXISTS events_command_id ON "${schema}".events (command_id);

-- Schema 2: the stream's partition key. FNV-1a, 32 bits, over the UTF-8 bytes of the stream id,
-- exactly streamPartitionKey of @elicence/domain (the database holds the id as the bytes the client
-- sent, where a lone surrogate already became U+FFFD, as streamPartitionKey treats it: the previous
-- build sent such ids, this one refuses them, postgres-text.ts). bigint: the
-- key is unsigned and does not fit an integer; the product below stays under 2^57.
CREATE OR REPLACE FUNCTION "${schema}".stream_partition_key(p_stream_id text)
RETURNS bigint LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $key$
DECLARE
  v_bytes bytea := convert_to(p_stream_id, 'UTF8');
  v_hash bigint := 2166136261;
BEGIN
  FOR v_at IN 0 .. length(v_bytes) - 1 LOOP
    v_hash := ((v_hash # get_byte(v_bytes, v_at)) * 16777619) & 4294967295;
  END LOOP;
  RETURN v_hash;
END
$key$;

-- Added as a generated column, so the rewrite of the table that adding a NOT NULL column needs
-- anyway computes every old event's key as it goes (one pass, indexes rebuilt once; an UPDATE would
-- take twice as long and leave every old row version behind, doubling the table until vacuum);
-- then a plain column, which append_events fills with the key computed by the store in Node. No
-- default: it would file an event whose writer forgot the key under that partition.
ALTER TABLE "${schema}".events ADD COLUMN IF NOT EXISTS partition_key bigint NOT NULL
  GENERATED ALWAYS AS ("${schema}".stream_partition_key(stream_id)) STORED
  CHECK (partition_key BETWEEN 0 AND 4294967295);
ALTER TABLE "${schema}".events ALTER COLUMN partition_key DROP EXPRESSION IF EXISTS;

-- readPartition scans the log in position order from \`after\` and keeps its partition's rows. This
-- index holds, in position order, what that filter and readAll's xmin filter look at, so pages are
-- chosen on index entries alone (an index-only scan once vacuum has marked the pages all-visible,
-- as it does for all but the newest events) and only the chosen rows are fetched from the table. No
-- index can lead on the partition: \`partition_key % count\` changes with the count.
CREATE INDEX IF NOT EXISTS events_by_partition
  ON "${schema}".events (position) INCLUDE (partition_key, transaction_id);

-- One page of a partition: readAll's query (postgres-event-store.ts) with the partition's filter, so
-- it returns exactly readAll's rows less the other partitions', and keeps its no-skip argument.
-- STABLE: the query runs in its caller's snapshot, the one whose xmin it reads. The planner cannot
-- tell how selective \`partition_key % count = index\` is and guesses 0.5%; when it then expects
-- fewer matches than the LIMIT (a small table, a large page) it reads the whole table and sorts it,
-- every page, or starts parallel workers that pass whole rows through their queues. Measured with
-- pages of 1 000 from 8 partitions: a third of the speed on 200 000 events. The settings below
-- leave it the ordered scan from \`after\` only, whatever the size of the table.
CREATE OR REPLACE FUNCTION "${schema}".read_partition(
  p_after bigint, p_count bigint, p_index bigint, p_limit integer)
RETURNS TABLE ("position" bigint, stream_id text, version integer, type text, data json, metadata json)
LANGUAGE sql STABLE
SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off
SET max_parallel_workers_per_gather = 0
AS $read$
  SELECT e.position, e.stream_id, e.version, e.type, e.data, e.metadata
  FROM (SELECT i.position FROM "${schema}".events AS i
        WHERE i.position > p_after AND i.partition_key % p_count = p_index
          AND i.transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
        ORDER BY i.position LIMIT p_limit) AS page
  JOIN "${schema}".events AS e ON e.position = page.position
  ORDER BY e.position
$read$;

-- Schema 1's append_events inserts no partition key; a process of that build that recreates it
-- gets a NOT NULL violation from its appends, never an event filed under no partition.
DROP FUNCTION IF EXISTS "${schema}".append_events(text, integer, text, text[], text[], text[], text[]);

-- Appends one batch to one stream, starting at p_first_version after an event whose hash is
-- p_prev_hash. The caller has checked the expected version; this function checks the chain again
-- under the stream's lock, and the unique (stream_id, version) constraint is the last line of defence.
-- The transaction id and the batch's positions are drawn together under a short session-level lock,
-- released before the insert and the commit, so positions follow transaction-id order (see readAll).
-- Data and metadata arrive as JSON text, one array element per event, and are only cast to json:
-- PostgreSQL's json operators (->, json_array_elements) refuse \\u0000 and lone surrogates that the
-- json type itself stores unchanged. The partition key is the caller's streamPartitionKey(p_stream_id).
CREATE OR REPLACE FUNCTION "${schema}".append_events(
  p_stream_id text, p_partition_key bigint, p_first_version integer, p_prev_hash text,
  p_types text[], p_data text[], p_metadata text[], p_command_ids text[])
RETURNS TABLE (appended_version integer, appended_position bigint)
LANGUAGE plpgsql AS $append$
DECLARE
  v_positions bigint[];
  v_prev_hash text;
BEGIN
  -- A transaction id taken before the lock could be older than one taken by a writer that locks
  -- first and draws lower positions: the order readAll relies on would break.
  IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
    RAISE EXCEPTION 'append_events must be the first write of its transaction'
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  -- Writers of one stream queue here, until the previous one commits, so the check below sees the
  -- latest head and the insert never waits on another transaction.
  ${continuesChainSql(schema, 'p_stream_id', 'p_first_version', 'p_prev_hash')}
${drawPositionsSql(schema, 'cardinality(p_types)')}

  RETURN QUERY
    INSERT INTO "${schema}".events AS e
      (position, stream_id, version, type, data, metadata, command_id, partition_key)
    SELECT v_positions[x.ordinality], p_stream_id, p_first_version + (x.ordinality - 1)::integer, x.type,
           x.data::json, x.metadata::json, x.command_id, p_partition_key
    FROM unnest(p_types, p_data, p_metadata, p_command_ids)
      WITH ORDINALITY AS x(type, data, metadata, command_id, ordinality)
    RETURNING e.version, e.position;
END
$append$;

-- Schema 3: what a batch of decisions reads, under the locks of all its streams (batched-decisions.ts).
-- The locks are taken in the order given (the caller sorts the stream ids, so two batches sharing
-- streams never deadlock), each held until the transaction ends. VOLATILE: the read below then takes
-- its own snapshot after the last lock is held, so it sees every commit of the writers it waited
-- for (one statement doing both would read with a snapshot taken before the wait). Per stream
-- (p_request: its place in the arrays, from 1): 'h' its last event's version and hash only (its
-- body is not needed: a head is where the next event links on), 'e' its events after p_afters, 'c'
-- its events of p_command_ids, each part in version order. In a function, its plan is made once
-- per connection rather than for every batch.
CREATE OR REPLACE FUNCTION "${schema}".lock_and_read(
  p_streams text[], p_afters integer[], p_command_ids text[])
RETURNS TABLE (p_request bigint, "position" bigint, stream_id text, version integer, type text,
  data json, metadata json, tag text)
LANGUAGE plpgsql VOLATILE AS $read$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('${schema}.events:stream:' || s.id, 0))
    FROM unnest(p_streams) WITH ORDINALITY AS s(id, o) ORDER BY s.o;
  RETURN QUERY
    SELECT r.i, x.position, x.stream_id, x.version, x.type, x.data, x.metadata, x.tag
    FROM unnest(p_streams, p_afters, p_command_ids) WITH ORDINALITY AS r(s, a, c, i)
    CROSS JOIN LATERAL (
      (SELECT e.position, e.stream_id, e.version, e.type, NULL::json AS data,
              json_build_object('hash', e.metadata->>'hash') AS metadata, 'h'::text AS tag
       FROM "${schema}".events AS e WHERE e.stream_id = r.s ORDER BY e.version DESC LIMIT 1)
      UNION ALL
      (SELECT e.position, e.stream_id, e.version, e.type, e.data, e.metadata, 'e'::text
       FROM "${schema}".events AS e WHERE e.stream_id = r.s AND e.version > r.a ORDER BY e.version)
      UNION ALL
      (SELECT e.position, e.stream_id, e.version, e.type, e.data, e.metadata, 'c'::text
       FROM "${schema}".events AS e WHERE e.command_id = r.c AND e.stream_id = r.s ORDER BY e.version)
    ) AS x;
END
$read$;

-- Schema 3: the events of several streams in one call, for a transaction that decided on all of
-- them (batched-decisions.ts). What append_events does for one stream, for each: the stream's lock
-- (the caller already holds them all, taken in sorted order; taking one again is free) and the check
-- that its events continue its chain. Then, as in append_events and for the same reason, the
-- transaction id and every position of the call are drawn together in one short critical section:
-- a transaction must draw all its positions at once, or a later draw could fall behind another
-- transaction's positions while its xid is older, and readAll could skip it. So it is the only
-- write of its transaction, like append_events, and is called once per transaction.
-- p_streams, p_first_versions, p_prev_hashes: one element per stream; the other arrays one per event.
CREATE OR REPLACE FUNCTION "${schema}".append_batch(
  p_streams text[], p_first_versions integer[], p_prev_hashes text[],
  p_event_streams text[], p_partition_keys bigint[], p_versions integer[],
  p_types text[], p_data text[], p_metadata text[], p_command_ids text[])
RETURNS TABLE (appended_stream text, appended_version integer, appended_position bigint)
LANGUAGE plpgsql AS $batch$
DECLARE
  v_positions bigint[];
  v_prev_hash text;
BEGIN
  IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
    RAISE EXCEPTION 'append_batch must be the first write of its transaction'
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  FOR v_at IN 1 .. coalesce(cardinality(p_streams), 0) LOOP
    ${continuesChainSql(schema, 'p_streams[v_at]', 'p_first_versions[v_at]', 'p_prev_hashes[v_at]')}
  END LOOP;
${drawPositionsSql(schema, 'cardinality(p_types)')}

  RETURN QUERY
    INSERT INTO "${schema}".events AS e
      (position, stream_id, version, type, data, metadata, command_id, partition_key)
    SELECT v_positions[x.ordinality], x.stream_id, x.version, x.type,
           x.data::json, x.metadata::json, x.command_id, x.partition_key
    FROM unnest(p_event_streams, p_partition_keys, p_versions, p_types, p_data, p_metadata, p_command_ids)
      WITH ORDINALITY AS x(stream_id, partition_key, version, type, data, metadata, command_id, ordinality)
    RETURNING e.stream_id, e.version, e.position;
END
$batch$;

-- Schema 4: a batch decided ahead, outside any lock, on the states the store already knew
-- (batched-decisions.ts), in one call instead of lock_and_read then append_batch. Per stream (one
-- element of p_streams, p_heads, p_head_hashes, p_command_ids): its lock, in the order given (the
-- caller sorts), then the check that the decision's premises still hold: the stream's last event is
-- p_heads (-1: no event) with hash p_head_hashes, and no event of it has p_command_ids (a command
-- already recorded is replayed from its events, which the decision did not see). A stream that
-- passes has its events (the per-event arrays, p_event_requests its place in p_streams) appended as
-- append_batch would; one that fails gets one row with a NULL version and nothing of it is written:
-- its caller decides again under the lock. The reads take their snapshots after the locks are held
-- (VOLATILE, as lock_and_read), and the positions of all the events kept are drawn at once, as in
-- append_batch, which is why this too is the only write of its transaction.
CREATE OR REPLACE FUNCTION "${schema}".append_if_current(
  p_streams text[], p_heads integer[], p_head_hashes text[], p_command_ids text[],
  p_event_requests integer[], p_partition_keys bigint[], p_versions integer[],
  p_types text[], p_data text[], p_metadata text[], p_event_command_ids text[])
RETURNS TABLE (appended_stream text, appended_version integer, appended_position bigint)
LANGUAGE plpgsql VOLATILE AS $current$
DECLARE
  v_streams integer := coalesce(cardinality(p_streams), 0);
  v_stale boolean[] := array_fill(false, ARRAY[v_streams]);
  v_version integer;
  v_hash text;
  v_count integer;
  v_positions bigint[];
BEGIN
  IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
    RAISE EXCEPTION 'append_if_current must be the first write of its transaction'
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  FOR v_at IN 1 .. v_streams LOOP
    PERFORM pg_advisory_xact_lock(hashtextextended('${schema}.events:stream:' || p_streams[v_at], 0));
    v_version := NULL;
    v_hash := NULL;
    SELECT e.version, e.metadata->>'hash' INTO v_version, v_hash FROM "${schema}".events AS e
      WHERE e.stream_id = p_streams[v_at] ORDER BY e.version DESC LIMIT 1;
    IF coalesce(v_version, -1) IS DISTINCT FROM p_heads[v_at]
       OR coalesce(v_hash, repeat('0', 64)) IS DISTINCT FROM p_head_hashes[v_at]
       OR EXISTS (SELECT 1 FROM "${schema}".events AS e
                  WHERE e.command_id = p_command_ids[v_at] AND e.stream_id = p_streams[v_at]) THEN
      v_stale[v_at] := true;
      appended_stream := p_streams[v_at];
      appended_version := NULL;
      appended_position := NULL;
      RETURN NEXT;
    END IF;
  END LOOP;
  SELECT count(*) INTO v_count FROM unnest(p_event_requests) AS r(i) WHERE NOT v_stale[r.i];
  IF v_count = 0 THEN
    RETURN;
  END IF;
${drawPositionsSql(schema, 'v_count')}

  RETURN QUERY
    INSERT INTO "${schema}".events AS e
      (position, stream_id, version, type, data, metadata, command_id, partition_key)
    SELECT v_positions[(row_number() OVER (ORDER BY x.ordinality))::integer], p_streams[x.request], x.version,
           x.type, x.data::json, x.metadata::json, x.command_id, x.partition_key
    FROM unnest(p_event_requests, p_partition_keys, p_versions, p_types, p_data, p_metadata,
                p_event_command_ids)
      WITH ORDINALITY AS x(request, partition_key, version, type, data, metadata, command_id, ordinality)
    WHERE NOT v_stale[x.request]
    RETURNING e.stream_id, e.version, e.position;
END
$current$;

COMMENT ON TABLE "${schema}".events IS '${schemaMarker}';
`
