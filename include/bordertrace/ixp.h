/* bordertrace — IXP peering LANs.
 *
 * An address on an IXP's peering LAN belongs to the exchange, not to a
 * transit AS: whatever BGP or a database says about it, such a hop is
 * labelled with the IXP's name and never counted as an AS on the path
 * (bdrmapIT does the same). The list comes from PeeringDB (ixpfx prefixes
 * with the IX name), one per line, '#' comments and blank lines ignored:
 *   prefix,IXP name          or   prefix<TAB>IXP name   or   prefix IXP name
 * The name may be double-quoted (CSV style, "" for a quote); an optional CSV
 * header ("prefix,name") is skipped when it is the first line. */
#ifndef BORDERTRACE_IXP_H
#define BORDERTRACE_IXP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bordertrace/addr.h"

#define BT_IXP_NAME_MAX 256

/* Parses one line: 1 with prefix, len and name filled, 0 to skip, -1 with
 * *why. Pure. */
int bt_ixp_parse_line(const char *line, size_t len, bool maybe_header, bt_addr *prefix,
		      unsigned *plen, char name[BT_IXP_NAME_MAX], const char **why);

typedef struct bt_ixp bt_ixp;

typedef struct bt_ixp_match {
	bt_addr prefix;
	unsigned prefix_len;
	const char *name;
	const char *file;
	uint32_t line;
} bt_ixp_match;

bt_ixp *bt_ixp_new(void);
void bt_ixp_free(bt_ixp *t);
int bt_ixp_load(bt_ixp *t, const char *path, char *err, size_t errlen);
int bt_ixp_load_buffer(bt_ixp *t, const char *name, const char *buf, size_t len,
		       char *err, size_t errlen);
int bt_ixp_build(bt_ixp *t, char *err, size_t errlen);
bool bt_ixp_lookup(const bt_ixp *t, const bt_addr *addr, bt_ixp_match *m,
		   unsigned *block_len);
size_t bt_ixp_count(const bt_ixp *t);

#endif
