/* bordertrace — fuzz target: captured replies through the parser and the
 * matcher, as the engine uses them (prober/family.h, bt_fam_parse_match:
 * bt_reply_parse on the pcap bytes, then bt_probe_match_flows).
 *
 * Input: a 10-byte header that sets up the run (fuzz_reply_run.h; link
 * types 0 Ethernet, 1 Linux cooked, 2 Linux cooked v2, 3 DLT_RAW,
 * 4 DLT_IPV4, 5 an unknown link type), then the captured bytes.
 * Seeds (corpus/reply/) are replies to probes built by the prober's own
 * builder with a known secret, so the matcher's accepting paths are reached
 * (mkseeds_reply.c writes them).
 *
 * Properties checked beyond "no crash, no over-read": a status is one of the
 * four; a match names a flow inside the run, a TTL > 0 and an attempt in
 * 1..BT_PROBE_MAX_ATTEMPTS, and bt_probe_match on that single flow agrees. */
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/probe.h"
#include "bordertrace/reply.h"
#include "fuzz_reply_run.h"

static const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4, 9999 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_run run;
	uint8_t *pkt;
	size_t n;
	if (!fuzz_run_begin(data, size, dlts, sizeof(dlts) / sizeof(dlts[0]), &run, &pkt, &n))
		return 0;

	bt_reply r;
	bt_reply_status s = bt_reply_parse(pkt, n, run.dlt, &r);
	fuzz_status_check(s);
	if (s == BT_REPLY_OK) {
		if (r.mpls_count > BT_MPLS_MAX)
			abort();
		bt_flow base;
		bt_flow_init(&base, run.method, run.flow, 0, run.secret);
		bt_match m;
		if (bt_probe_match_flows(&base, run.nflows, &r, &m) == 0) {
			fuzz_match_check(&run, m.flow, m.ttl, m.attempt, m.kind);
			bt_flow one;
			bt_match m1;
			bt_flow_init(&one, run.method, m.flow, 0, run.secret);
			if (bt_probe_match(&one, &r, &m1) != 0 || memcmp(&m, &m1, sizeof(m)) != 0)
				abort();
		}
	}
	free(pkt);
	return 0;
}
