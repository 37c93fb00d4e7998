/* bordertrace — the store's internals shared by store.c and store_schema.c. */
#ifndef BT_ANALYSIS_STORE_INT_H
#define BT_ANALYSIS_STORE_INT_H

#include "bordertrace/store.h"

#include <libpq-fe.h>

struct bt_store {
	PGconn *conn;
	char *conninfo;
	double retry_s; /* how long a lost server is waited for */
	unsigned lost;  /* connections lost in the middle and made again */
};

/* (Re)connects, waiting with back-off while the server is away, for at most
 * retry_s seconds. 0, or -1 with the reason. */
int bt_store_reconnect(bt_store *st, char *err, size_t errlen);
/* "WHAT" then libpq's message on one line. */
void bt_store_pq_message(char *err, size_t errlen, const char *what, const char *msg);

/* The SQL of migration version (1..bt_store_schema_version()), or NULL. */
const char *bt_store_migration(int version);

#define BT_STORE_RAW_MAX (1u << 30) /* the cap on a round file read whole */

/* A round's blob gunzipped to its raw bytes (malloc'ed, NUL-terminated):
 * 0, or -1 with the reason and *out NULL. */
int bt_store_gunzip(const unsigned char *gz, size_t len, size_t raw, char **out, char *err, size_t errlen);

#endif
