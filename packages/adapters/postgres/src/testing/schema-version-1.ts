/**
 * The DDL of schema 1 of the PostgreSQL event store, as the previous build wrote it (before the
 * `partition_key` column): the migration tests create a database with it, fill it through its own
 * `append_events`, and check that the current store migrates it. A frozen copy on purpose: it must
 * not follow later changes of `schema.ts`. Not part of the build.
 *
 * @example
 * await client.query(schemaVersion1Sql('test_old')) // then append through the 7-argument append_events
 */

/** Advisory-lock keys as schema 1 computed them (the current schema uses the same ones). */
const lockKey = (schema: string, purpose: string): string =>
  `hashtextextended('${schema}.events:${purpose}', 0)`

const appendSignature = (schema: string) =>
  `"${schema}".append_events(text, integer, text, text[], text[], text[], text[])`
const schemaMarker = 'elicence-postgres schema 1'

/** The DDL, as one multi-statement query (the simple protocol runs it as a single transaction). */
export const schemaVersion1Sql = (schema: string): string => `
SELECT pg_advisory_xact_lock(${lockKey(schema, 'schema')});

CREATE SCHEMA IF NOT EXISTS "${schema}";

-- CACHE 1 (the default): values come out in the order they are drawn, across sessions; the no-skip
-- argument of readAll depends on it.
CREATE SEQUENCE IF NOT EXISTS "${schema}".events_position AS bigint CACHE 1;

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
  CONSTRAINT events_stream_version UNIQUE (stream_id, version)
);

ALTER SEQUENCE "${schema}".events_position OWNED BY "${schema}".events.position;

CREATE INDEX IF NOT EXISTS events_command_id ON "${schema}".events (command_id);

-- Appends one batch to one stream, starting at p_first_version after an event whose hash is
-- p_prev_hash. The caller has checked the expected version; this function checks the chain again
-- under the stream's lock, and the unique (stream_id, version) constraint is the last line of defence.
-- The transaction id and the batch's positions are drawn together under a short session-level lock,
-- released before the insert and the commit, so positions follow transaction-id order (see readAll).
-- Data and metadata arrive as JSON text, one array element per event, and are only cast to json:
-- PostgreSQL's json operators (->, json_array_elements) refuse \\u0000 and lone surrogates that the
-- json type itself stores unchanged.
CREATE OR REPLACE FUNCTION "${schema}".append_events(
  p_stream_id text, p_first_version integer, p_prev_hash text,
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
  PERFORM pg_advisory_xact_lock(hashtextextended('${schema}.events:stream:' || p_stream_id, 0));
  IF p_first_version = 0 THEN
    v_prev_hash := repeat('0', 64);
  ELSE
    SELECT e.metadata->>'hash' INTO v_prev_hash FROM "${schema}".events AS e
      WHERE e.stream_id = p_stream_id AND e.version = p_first_version - 1;
  END IF;
  IF v_prev_hash IS DISTINCT FROM p_prev_hash THEN
    RAISE EXCEPTION 'stream % has no event % with the given hash', p_stream_id, p_first_version - 1
      USING ERRCODE = 'EL409';
  END IF;

  PERFORM pg_advisory_lock(${lockKey(schema, 'append')});
  BEGIN
    PERFORM pg_current_xact_id();
    v_positions := ARRAY(
      SELECT nextval('"${schema}".events_position') FROM generate_series(1, cardinality(p_types)) ORDER BY 1);
  EXCEPTION WHEN OTHERS OR query_canceled THEN
    -- A session-level lock outlives a failed transaction: release it before re-raising, or every
    -- other writer would wait until this connection closes.
    PERFORM pg_advisory_unlock(${lockKey(schema, 'append')});
    RAISE;
  END;
  PERFORM pg_advisory_unlock(${lockKey(schema, 'append')});

  RETURN QUERY
    INSERT INTO "${schema}".events AS e (position, stream_id, version, type, data, metadata, command_id)
    SELECT v_positions[x.ordinality], p_stream_id, p_first_version + (x.ordinality - 1)::integer, x.type,
           x.data::json, x.metadata::json, x.command_id
    FROM unnest(p_types, p_data, p_metadata, p_command_ids)
      WITH ORDINALITY AS x(type, data, metadata, command_id, ordinality)
    RETURNING e.version, e.position;
END
$append$;

COMMENT ON FUNCTION ${appendSignature(schema)} IS '${schemaMarker}';
`

/**
 * Rows as the previous build's appends would leave them, `rows` of them in one statement (a
 * thousand streams): what the migration's rewrite reads, sized to outlast a command's time limits.
 * Their hashes need not verify for it. The position sequence is moved past them.
 */
export const schemaVersion1RowsSql = (schema: string, rows: number): string => `
INSERT INTO "${schema}".events (position, stream_id, version, type, data, metadata, command_id)
SELECT g, 'licence-' || (g % 1000), g / 1000, 'Old', '{"n":1}',
       json_build_object('hash', md5(g::text) || md5(g::text)), md5(g::text)
FROM generate_series(1, ${rows}) AS g;
SELECT setval('"${schema}".events_position', ${rows});
`
