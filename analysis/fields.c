/* bordertrace — fields of the analysis side's text tables (see fields.h). */
#include "fields.h"

#include <stdlib.h>
#include <string.h>

int bt_field_copy(char *buf, size_t buflen, const char *s, size_t n)
{
	if (n >= buflen)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

int bt_asn_parse(const char *s, size_t n, uint32_t *asn)
{
	if (n >= 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's')) {
		s += 2;
		n -= 2;
	}
	if (n == 0 || n > 10)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*asn = (uint32_t)v;
	return 0;
}

int bt_unquote(const char *s, size_t n, char *buf, size_t buflen)
{
	if (n == 0 || s[0] != '"')
		return bt_field_copy(buf, buflen, s, n) == 0 ? 0 : BT_UNQUOTE_LONG;
	size_t o = 0, i = 1;
	for (;;) {
		if (i >= n)
			return BT_UNQUOTE_OPEN;
		if (s[i] == '"' && i + 1 < n && s[i + 1] == '"')
			i++;
		else if (s[i] == '"')
			break;
		if (o + 1 >= buflen)
			return BT_UNQUOTE_LONG;
		buf[o++] = s[i++];
	}
	for (i++; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return BT_UNQUOTE_AFTER;
	buf[o] = '\0';
	return 0;
}

int bt_pool_add(bt_pool *pool, const char *s, uint32_t *off)
{
	size_t n = strlen(s) + 1;
	if (pool->len + n > UINT32_MAX)
		return -1;
	if (pool->len + n > pool->cap) {
		size_t cap = pool->cap ? pool->cap : 4096;
		while (cap < pool->len + n)
			cap *= 2;
		char *p = realloc(pool->p, cap);
		if (p == NULL)
			return -1;
		pool->p = p;
		pool->cap = cap;
	}
	memcpy(pool->p + pool->len, s, n);
	*off = (uint32_t)pool->len;
	pool->len += n;
	return 0;
}

void bt_pool_free(bt_pool *pool)
{
	free(pool->p);
	pool->p = NULL;
	pool->len = pool->cap = 0;
}
