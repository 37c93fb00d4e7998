/* bordertrace — what the store keeps of a round file (store.h): its ids,
 * times and counts, a SHA-256 of its bytes and the bytes gzip'd. Pure: a
 * buffer in, a summary out. */
#include "bordertrace/store.h"
#include "bordertrace/roundbuf.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int gzip_buf(const char *buf, size_t len, bt_round_summary *s)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	/* 15 + 16: a gzip stream, so that a blob read back gunzips as is */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	size_t cap = deflateBound(&z, (uLong)len);
	s->gz = malloc(cap ? cap : 1);
	if (s->gz == NULL || len > UINT32_MAX) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)buf;
	z.avail_in = (uInt)len;
	z.next_out = s->gz;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	s->gz_len = cap - z.avail_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

static int sha256_buf(const char *buf, size_t len, unsigned char out[32])
{
	unsigned int n = 0;
	return EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32 ? 0 : -1;
}

/* The first trace sets the ids; every later one must carry the same. */
static const char *same_ids(bt_round_summary *s, const bt_trace *t)
{
	if (s->traces == 0) {
		memcpy(s->vp, t->vp, sizeof(s->vp));
		memcpy(s->campaign, t->campaign, sizeof(s->campaign));
		memcpy(s->round, t->round, sizeof(s->round));
		if (t->vp[0] == '\0' || t->round[0] == '\0')
			return "a trace without a vp or round id (a round file's traces carry both)";
		return NULL;
	}
	if (strcmp(s->vp, t->vp) != 0)
		return "field 'vp': another vp than the file's first trace (a round file holds one vp's round)";
	if (strcmp(s->campaign, t->campaign) != 0)
		return "field 'campaign': another campaign than the file's first trace";
	if (strcmp(s->round, t->round) != 0)
		return "field 'round': another round than the file's first trace";
	return NULL;
}

static const char *summarize_trace(void *ctx, const bt_trace *t, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	bt_round_summary *s = ctx;
	const char *bad = same_ids(s, t);
	if (bad != NULL)
		return bad;
	if (s->traces == 0 || t->start_us < s->first_start_us)
		s->first_start_us = t->start_us;
	if (s->traces == 0 || t->end_us > s->last_end_us)
		s->last_end_us = t->end_us;
	s->traces++;
	return NULL;
}

static int summarize_lines(const char *name, const char *buf, size_t len, bt_round_summary *s,
			   char *err, size_t errlen)
{
	if (bt_roundbuf_each(name, buf, len, summarize_trace, s, err, errlen) != 0)
		return -1;
	if (s->traces == 0) {
		snprintf(err, errlen, "%s: no trace in the file (an empty round is not stored)", name);
		return -1;
	}
	return 0;
}

int bt_round_summarize(const char *name, const char *buf, size_t len, bt_round_summary *s,
		       char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	if (summarize_lines(name, buf, len, s, err, errlen) != 0)
		return -1;
	s->raw_bytes = len;
	if (sha256_buf(buf, len, s->sha256) != 0 || gzip_buf(buf, len, s) != 0) {
		bt_round_summary_free(s);
		snprintf(err, errlen, "%s: out of memory (hashing or compressing the round)", name);
		return -1;
	}
	return 0;
}

void bt_round_summary_free(bt_round_summary *s)
{
	free(s->gz);
	s->gz = NULL;
	s->gz_len = 0;
}
