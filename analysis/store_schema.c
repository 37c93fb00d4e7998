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

static const char *const migrations[] = { m1, m2, m3 };

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
