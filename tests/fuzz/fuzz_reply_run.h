/* bordertrace — what fuzz_reply and fuzz_reply6 share: the 10-byte run
 * header in front of the captured bytes, and the properties every parse and
 * match must have whatever the family. Header-only.
 *   [0]    link type, an index into the target's table of DLT_* values
 *   [1]    method (mod 3: icmp-paris, udp-paris, tcp-syn)
 *   [2..3] --flow (mod 4096), [4..5] --flows (kept within 0..4095 as the CLI
 *          does), [6..9] the run's secret (big-endian) */
#ifndef BT_FUZZ_REPLY_RUN_H
#define BT_FUZZ_REPLY_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bordertrace/probe.h"
#include "bordertrace/reply.h"
#include "fuzz_common.h"

#define FUZZ_RUN_HDR 10

typedef struct fuzz_run {
	int dlt;
	bt_method method;
	uint16_t flow, nflows;
	uint32_t secret;
} fuzz_run;

/* Reads the run header and copies the captured bytes after it into an
 * exactly sized buffer of their own (*pkt, *n; free it), so that ASan
 * catches a read one byte past the capture. false: nothing to run. */
static inline bool fuzz_run_begin(const uint8_t *data, size_t size, const int *dlts, size_t ndlts,
				  fuzz_run *run, uint8_t **pkt, size_t *n)
{
	if (size < FUZZ_RUN_HDR)
		return false;
	run->dlt = dlts[data[0] % ndlts];
	run->method = (bt_method)(data[1] % 3);
	run->flow = (uint16_t)(((data[2] << 8) | data[3]) % (BT_PROBE_MAX_FLOW + 1));
	run->nflows = (uint16_t)(1 + ((data[4] << 8) | data[5]) % (BT_PROBE_MAX_FLOW + 1 - run->flow));
	run->secret = (uint32_t)data[6] << 24 | (uint32_t)data[7] << 16 | (uint32_t)data[8] << 8 | data[9];
	*n = size - FUZZ_RUN_HDR;
	*pkt = (uint8_t *)fuzz_copy(data + FUZZ_RUN_HDR, *n);
	return *pkt != NULL;
}

/* A parser returns one of the four statuses. */
static inline void fuzz_status_check(bt_reply_status s)
{
	if (s != BT_REPLY_OK && s != BT_REPLY_TRUNCATED && s != BT_REPLY_MALFORMED && s != BT_REPLY_OTHER)
		abort();
}

/* A match names a flow of the run, a TTL (hop limit) > 0, an attempt in
 * 1..BT_PROBE_MAX_ATTEMPTS and a kind there is. */
static inline void fuzz_match_check(const fuzz_run *run, uint16_t flow, uint8_t ttl, uint8_t attempt,
				    bt_match_kind kind)
{
	if (flow < run->flow || flow - run->flow >= run->nflows || ttl == 0 || attempt < 1 ||
	    attempt > BT_PROBE_MAX_ATTEMPTS || kind > BT_MATCH_UNREACH)
		abort();
}

#endif
