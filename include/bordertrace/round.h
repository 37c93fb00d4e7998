/* bordertrace — rounds of a campaign: their ids, their schedule and their
 * files.
 *
 * A round's id is its scheduled start in UTC, aligned to the campaign's
 * interval ("2026-11-27T05:40:00Z"), so every VP of a campaign gives the same
 * round the same id. Its records go to a hidden temporary file in the round
 * directory, which is flushed, fsynced and renamed to "<id>.jsonl" only when
 * the round is complete (then the directory is fsynced), so a reader never
 * sees a partial round under a final name. Readers skip names starting with
 * '.'. */
#ifndef BORDERTRACE_ROUND_H
#define BORDERTRACE_ROUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BT_ROUND_ID_LEN 21 /* "YYYY-MM-DDTHH:MM:SSZ" + NUL */

/* The start of the interval slot holding t (seconds since the epoch). */
int64_t bt_round_slot(int64_t t, uint32_t interval_s);
/* Writes the id of the round starting at slot_s; returns buf, or NULL when
 * it does not fit or the year is outside 0000..9999. */
const char *bt_round_id(int64_t slot_s, char *buf, size_t len);
/* True for a final round file name: "YYYY-MM-DDTHH:MM:SSZ.jsonl". */
bool bt_round_name_ok(const char *name);
/* True for a temporary name this module makes: ".<anything>.tmp.XXXXXX". */
bool bt_round_tmp_name(const char *name);

/* Creates dir (and its parents, mode 0755) if needed, removes temporary
 * files left by a crash and counts the complete rounds in it. 0 or -1. */
int bt_round_dir_prepare(const char *dir, size_t *stale_removed, size_t *complete,
			 char *err, size_t errlen);
/* Takes an exclusive lock on dir/.lock (flock), held until fd is closed:
 * two runners on one directory would remove each other's temporary files.
 * Returns the descriptor, or -1 (err says whether another process holds it). */
int bt_round_dir_lock(const char *dir, char *err, size_t errlen);
/* True when dir already holds the complete round id. */
bool bt_round_exists(const char *dir, const char *id);

typedef struct bt_round_file {
	FILE *f;
	char *tmp;   /* dir/.ID.jsonl.tmp.XXXXXX */
	char *final; /* dir/ID.jsonl */
	char *dir;
} bt_round_file;

/* Creates the temporary file. 0 or -1. */
int bt_round_file_open(bt_round_file *rf, const char *dir, const char *id, char *err, size_t errlen);
/* Flushes, fsyncs, renames to the final name, fsyncs the directory. On
 * failure the temporary file is removed. 0 or -1. Either way rf is closed. */
int bt_round_file_commit(bt_round_file *rf, char *err, size_t errlen);
/* Closes and removes the temporary file. */
void bt_round_file_abort(bt_round_file *rf);

#endif
