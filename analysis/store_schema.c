/* bordertrace — the store's schema as numbered migrations (doc/store.md).
 * Migration N takes the schema from version N-1 to N; a migration once
 * released is never edited, only followed by another. */
#include "store_int.h"

#include <stddef.h>

/* 1: campaigns, VPs, rounds (one row a round: ids, times, counts, hash and
 * the file gzip'd), the group roles bt_vp and bt_analyst and the
 * row-level security that keeps each VP to its own rows. */
static const char m1[] =
	"DO $$ BEGIN\n"
	"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bt_vp') THEN\n"
	"    CREATE ROLE bt_vp NOLOGIN; END IF;\n"
	"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bt_analyst') THEN\n"
	"    CREATE ROLE bt_analyst NOLOGIN; END IF;\n"
	"END $$;\n"
	"CREATE TABLE bt.campaigns (\n"
	"  id text PRIMARY KEY CHECK (octet_length(id) < 64),\n"
	"  first_seen timestamptz NOT NULL DEFAULT now());\n"
	"CREATE TABLE bt.vps (\n"
	"  id text PRIMARY KEY CHECK (id <> '' AND octet_length(id) < 64),\n"
	"  role name NOT NULL UNIQUE,\n"
	"  added timestamptz NOT NULL DEFAULT now());\n"
	"CREATE TABLE bt.rounds (\n"
	"  campaign text NOT NULL REFERENCES bt.campaigns,\n"
	"  vp text NOT NULL REFERENCES bt.vps,\n"
	"  round text NOT NULL CHECK (round <> '' AND octet_length(round) < 64),\n"
	"  file text NOT NULL,\n"
	"  first_start timestamptz NOT NULL,\n"
	"  last_end timestamptz NOT NULL CHECK (last_end >= first_start),\n"
	"  traces integer NOT NULL CHECK (traces > 0),\n"
	"  raw_bytes bigint NOT NULL CHECK (raw_bytes > 0),\n"
	"  sha256 bytea NOT NULL CHECK (octet_length(sha256) = 32),\n"
	"  gz bytea NOT NULL,\n"
	"  pushed timestamptz NOT NULL DEFAULT now(),\n"
	"  pushed_by name NOT NULL DEFAULT current_user,\n"
	"  PRIMARY KEY (campaign, vp, round));\n"
	/* gzip'd already: TOAST keeps it out of line without compressing again */
	"ALTER TABLE bt.rounds ALTER COLUMN gz SET STORAGE EXTERNAL;\n"
	"CREATE INDEX rounds_first_start ON bt.rounds (first_start);\n"
	"CREATE INDEX rounds_vp_first_start ON bt.rounds (vp, first_start);\n"
	"ALTER TABLE bt.rounds ENABLE ROW LEVEL SECURITY;\n"
	"ALTER TABLE bt.vps ENABLE ROW LEVEL SECURITY;\n"
	"CREATE POLICY vp_self ON bt.vps FOR SELECT TO bt_vp USING (role = current_user);\n"
	"CREATE POLICY vp_read_own ON bt.rounds FOR SELECT TO bt_vp\n"
	"  USING (vp IN (SELECT id FROM bt.vps WHERE role = current_user));\n"
	"CREATE POLICY vp_add_own ON bt.rounds FOR INSERT TO bt_vp\n"
	"  WITH CHECK (vp IN (SELECT id FROM bt.vps WHERE role = current_user)\n"
	"              AND pushed_by = current_user);\n"
	"CREATE POLICY analyst_vps ON bt.vps FOR SELECT TO bt_analyst USING (true);\n"
	"CREATE POLICY analyst_rounds ON bt.rounds FOR SELECT TO bt_analyst USING (true);\n"
	"GRANT USAGE ON SCHEMA bt TO bt_vp, bt_analyst;\n"
	"GRANT SELECT ON bt.vps TO bt_vp;\n"
	"GRANT INSERT (id) ON bt.campaigns TO bt_vp;\n"
	"GRANT SELECT (campaign, vp, round, sha256), INSERT ON bt.rounds TO bt_vp;\n"
	"GRANT SELECT ON bt.schema_version, bt.campaigns, bt.vps, bt.rounds TO bt_analyst;\n";

/* 2: the derived tables: which rounds were derived, and their border
 * observations (border_obs.h), dated by the round's start for time ranges
 * without a join. */
static const char m2[] =
	"CREATE TABLE bt.derived (\n"
	"  campaign text NOT NULL, vp text NOT NULL, round text NOT NULL,\n"
	"  derived timestamptz NOT NULL DEFAULT now(),\n"
	"  PRIMARY KEY (campaign, vp, round),\n"
	"  FOREIGN KEY (campaign, vp, round) REFERENCES bt.rounds);\n"
	"CREATE TABLE bt.border_obs (\n"
	"  campaign text NOT NULL, vp text NOT NULL, round text NOT NULL,\n"
	"  round_start timestamptz NOT NULL,\n"
	"  level text NOT NULL CHECK (level IN ('as', 'country')),\n"
	"  target_network text NOT NULL,\n"
	"  upstream_as bigint NOT NULL, upstream_country text NOT NULL,\n"
	"  into_as bigint NOT NULL, into_country text NOT NULL,\n"
	"  traces integer NOT NULL CHECK (traces > 0),\n"
	"  flows integer NOT NULL CHECK (flows > 0),\n"
	"  FOREIGN KEY (campaign, vp, round) REFERENCES bt.derived);\n"
	"CREATE INDEX border_obs_target ON bt.border_obs (target_network, round_start);\n"
	"CREATE INDEX border_obs_round ON bt.border_obs (campaign, vp, round);\n"
	"GRANT SELECT ON bt.derived, bt.border_obs TO bt_analyst;\n";

/* 3: watch (doc/store.md): a NOTIFY on channel bt_rounds for each round
 * added (its payload "campaign/vp/round"), and per watch name the rounds
 * taken into account and the events whose command succeeded; the group
 * role bt_watch reads every round and writes only those two tables. */
static const char m3[] =
	"DO $$ BEGIN\n"
	"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bt_watch') THEN\n"
	"    CREATE ROLE bt_watch NOLOGIN; END IF;\n"
	"END $$;\n"
	"CREATE FUNCTION bt.rounds_notify() RETURNS trigger LANGUAGE plpgsql AS $$\n"
	"BEGIN\n"
	"  PERFORM pg_notify('bt_rounds', NEW.campaign || '/' || NEW.vp || '/' || NEW.round);\n"
	"  RETURN NULL;\n"
	"END $$;\n"
	"CREATE TRIGGER rounds_notify AFTER INSERT ON bt.rounds\n"
	"  FOR EACH ROW EXECUTE FUNCTION bt.rounds_notify();\n"
	"CREATE TABLE bt.watch_rounds (\n"
	"  name text NOT NULL, campaign text NOT NULL, vp text NOT NULL, round text NOT NULL,\n"
	"  seen timestamptz NOT NULL DEFAULT now(),\n"
	"  PRIMARY KEY (name, campaign, vp, round),\n"
	"  FOREIGN KEY (campaign, vp, round) REFERENCES bt.rounds);\n"
	"CREATE TABLE bt.watch_fired (\n"
	"  name text NOT NULL,\n"
	"  level text NOT NULL CHECK (level IN ('as', 'country')),\n"
	"  target_network text NOT NULL, upstream text NOT NULL, into_net text NOT NULL,\n"
	"  kind text NOT NULL CHECK (kind IN ('new', 'gone', 'returned')),\n"
	"  round text NOT NULL,\n"
	"  fired timestamptz NOT NULL DEFAULT now(),\n"
	"  PRIMARY KEY (name, level, target_network, upstream, into_net, kind, round));\n"
	"CREATE POLICY watch_vps ON bt.vps FOR SELECT TO bt_watch USING (true);\n"
	"CREATE POLICY watch_rounds ON bt.rounds FOR SELECT TO bt_watch USING (true);\n"
	"GRANT USAGE ON SCHEMA bt TO bt_watch;\n"
	"GRANT SELECT ON bt.schema_version, bt.campaigns, bt.vps, bt.rounds TO bt_watch;\n"
	"GRANT SELECT, INSERT ON bt.watch_rounds, bt.watch_fired TO bt_watch;\n"
	"GRANT SELECT ON bt.watch_rounds, bt.watch_fired TO bt_analyst;\n";

/* 4: events and watch's incremental state, and border_obs partitioned by
 * month (doc/store.md, "Schema"). bt.events takes the place of
 * bt.watch_fired (its rows move over) with the event's details, for the
 * analyst as well; bt.watch_state holds per watch and route the
 * path-diff's state as of the settled round bt.watch_progress names.
 * bt.border_obs becomes a table partitioned by the month of round_start;
 * bt.border_obs_month(t) makes t's partition (derive calls it first). */
static const char m4[] =
	"CREATE TABLE bt.events (\n"
	"  name text NOT NULL,\n"
	"  level text NOT NULL CHECK (level IN ('as', 'country')),\n"
	"  target_network text NOT NULL, upstream text NOT NULL, into_net text NOT NULL,\n"
	"  kind text NOT NULL CHECK (kind IN ('new', 'gone', 'returned')),\n"
	"  round text NOT NULL,\n"
	"  upstream_country text NOT NULL DEFAULT '',\n"
	"  first_seen timestamptz, last_seen timestamptz,\n"
	"  rounds_seen integer, traces bigint,\n"
	"  vps text NOT NULL DEFAULT '', evidence text NOT NULL DEFAULT '',\n"
	"  fired timestamptz NOT NULL DEFAULT now(),\n"
	"  PRIMARY KEY (name, level, target_network, upstream, into_net, kind, round));\n"
	"INSERT INTO bt.events (name, level, target_network, upstream, into_net, kind, round, fired)\n"
	"  SELECT name, level, target_network, upstream, into_net, kind, round, fired FROM bt.watch_fired;\n"
	"DROP TABLE bt.watch_fired;\n"
	"CREATE INDEX events_target ON bt.events (target_network, round);\n"
	"CREATE TABLE bt.watch_progress (\n"
	"  name text PRIMARY KEY,\n"
	"  settled text NOT NULL, settled_rounds integer NOT NULL CHECK (settled_rounds >= 0));\n"
	"CREATE TABLE bt.watch_state (\n"
	"  name text NOT NULL,\n"
	"  level text NOT NULL CHECK (level IN ('as', 'country')),\n"
	"  target_network text NOT NULL, upstream text NOT NULL, into_net text NOT NULL,\n"
	"  note text NOT NULL,\n"
	"  state smallint NOT NULL CHECK (state BETWEEN 0 AND 2),\n"
	"  seen_rounds integer NOT NULL, absent integer NOT NULL, first_absent text NOT NULL,\n"
	"  traces bigint NOT NULL, first_us bigint NOT NULL, last_us bigint NOT NULL,\n"
	"  vps text NOT NULL, vp_ranks text NOT NULL, evidence text NOT NULL,\n"
	"  PRIMARY KEY (name, level, target_network, upstream, into_net));\n"
	"CREATE INDEX watch_rounds_open ON bt.watch_rounds (name, round COLLATE \"C\");\n"
	"GRANT SELECT, INSERT ON bt.events TO bt_watch;\n"
	"GRANT SELECT, INSERT, UPDATE, DELETE ON bt.watch_progress, bt.watch_state TO bt_watch;\n"
	"GRANT SELECT ON bt.events, bt.watch_progress, bt.watch_state TO bt_analyst;\n"
	"ALTER TABLE bt.border_obs RENAME TO border_obs_v3;\n"
	"ALTER INDEX bt.border_obs_target RENAME TO border_obs_v3_target;\n"
	"ALTER INDEX bt.border_obs_round RENAME TO border_obs_v3_round;\n"
	"CREATE TABLE bt.border_obs (LIKE bt.border_obs_v3 INCLUDING CONSTRAINTS,\n"
	"  FOREIGN KEY (campaign, vp, round) REFERENCES bt.derived) PARTITION BY RANGE (round_start);\n"
	"CREATE INDEX border_obs_target ON bt.border_obs (target_network, round_start);\n"
	"CREATE INDEX border_obs_round ON bt.border_obs (campaign, vp, round);\n"
	"CREATE FUNCTION bt.border_obs_month(t timestamptz) RETURNS void LANGUAGE plpgsql AS $$\n"
	"DECLARE m timestamp := date_trunc('month', t AT TIME ZONE 'UTC');\n"
	"BEGIN\n"
	"  PERFORM pg_advisory_xact_lock(hashtext('bt.border_obs'));\n"
	"  EXECUTE format('CREATE TABLE IF NOT EXISTS bt.%I PARTITION OF bt.border_obs '\n"
	"                 'FOR VALUES FROM (%L) TO (%L)', 'border_obs_' || to_char(m, 'YYYYMM'),\n"
	"                 m AT TIME ZONE 'UTC', (m + interval '1 month') AT TIME ZONE 'UTC');\n"
	"END $$;\n"
	"SELECT bt.border_obs_month(t) FROM (SELECT DISTINCT date_trunc('month', round_start) t\n"
	"  FROM bt.border_obs_v3) m;\n"
	"INSERT INTO bt.border_obs SELECT * FROM bt.border_obs_v3;\n"
	"DROP TABLE bt.border_obs_v3;\n"
	"REVOKE ALL ON FUNCTION bt.border_obs_month(timestamptz) FROM PUBLIC;\n"
	"GRANT SELECT ON bt.border_obs TO bt_analyst;\n";

static const char *const migrations[] = { m1, m2, m3, m4 };

int bt_store_schema_version(void)
{
	return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

const char *bt_store_migration(int version)
{
	if (version < 1 || version > bt_store_schema_version())
		return NULL;
	return migrations[version - 1];
}
