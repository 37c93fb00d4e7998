/* bordertrace — string interning: each distinct string gets a small id.
 *
 * The path-diff keys everything (VPs, rounds, target networks, trace ids
 * kept as evidence) by id so that memory grows with distinct values, not
 * with the number of traces read. */
#ifndef BORDERTRACE_STRTAB_H
#define BORDERTRACE_STRTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct bt_strtab bt_strtab;

bt_strtab *bt_strtab_new(void);
void bt_strtab_free(bt_strtab *t);
/* The id of s (len bytes), adding it if new; UINT32_MAX when out of memory. */
uint32_t bt_strtab_intern(bt_strtab *t, const char *s, size_t len);
/* The id of s, or UINT32_MAX if absent. */
uint32_t bt_strtab_find(const bt_strtab *t, const char *s, size_t len);
const char *bt_strtab_get(const bt_strtab *t, uint32_t id);
size_t bt_strtab_count(const bt_strtab *t);

#endif
