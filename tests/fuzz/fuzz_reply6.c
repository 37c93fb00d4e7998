/* bordertrace — fuzz target: captured IPv6 replies through the parser and
 * the matcher, as the engine's IPv6 family will use them: bt_reply6_parse
 * on the pcap bytes, then bt_probe6_match_flows.
 *
 * Input: fuzz_reply's 10-byte run header, then the captured bytes.
 *   [0]    link type: 0 Ethernet, 1 Linux cooked, 2 Linux cooked v2,
 *          3 DLT_RAW, 4 DLT_IPV6, 5 an unknown link type
 *   [1]    method (mod 3: icmp-paris, udp-paris, tcp-syn)
 *   [2..3] --flow (mod 4096), [4..5] --flows (kept within 0..4095 as the CLI
 *          does), [6..9] the run's secret (big-endian)
 * Seeds (corpus/reply6/) are replies to probes rendered by the prober's own
 * builder with a known secret, extension header chains and MPLS extensions
 * included (mkseeds_reply.c writes them).
 *
 * Properties checked beyond "no crash, no over-read": a status is one of the
 * four; a parsed quote holds 8..BT_REPLY6_QL4 transport bytes; a match
 * names a flow inside the run, a hop limit > 0 and an attempt in
 * 1..BT_PROBE_MAX_ATTEMPTS, and bt_probe6_match on that single flow agrees. */
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/probe6.h"
#include "bordertrace/reply6.h"

#define HDR 10

static const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV6, 9999 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR)
		return 0;
	int dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
	bt_method method = (bt_method)(data[1] % 3);
	uint16_t flow = (uint16_t)(((data[2] << 8) | data[3]) % (BT_PROBE_MAX_FLOW + 1));
	uint16_t nflows = (uint16_t)(1 + ((data[4] << 8) | data[5]) % (BT_PROBE_MAX_FLOW + 1 - flow));
	uint32_t secret = (uint32_t)data[6] << 24 | (uint32_t)data[7] << 16 |
			  (uint32_t)data[8] << 8 | data[9];

	/* The packet in a buffer of its own, so that ASan catches a read one
	 * byte past the capture. */
	size_t n = size - HDR;
	uint8_t *pkt = malloc(n ? n : 1);
	if (pkt == NULL)
		return 0;
	memcpy(pkt, data + HDR, n);

	bt_reply6 r;
	bt_reply_status s = bt_reply6_parse(pkt, n, dlt, &r);
	if (s != BT_REPLY_OK && s != BT_REPLY_TRUNCATED && s != BT_REPLY_MALFORMED &&
	    s != BT_REPLY_OTHER)
		abort();
	if (s == BT_REPLY_OK) {
		if (r.mpls_count > BT_MPLS_MAX || (r.quoted && (r.q_l4_len < 8 || r.q_l4_len > BT_REPLY6_QL4)))
			abort();
		bt_flow base;
		bt_flow_init(&base, method, flow, 0, secret);
		bt_match6 m;
		if (bt_probe6_match_flows(&base, nflows, &r, &m) == 0) {
			if (m.flow < flow || m.flow - flow >= nflows || m.hlim == 0 ||
			    m.attempt < 1 || m.attempt > BT_PROBE_MAX_ATTEMPTS ||
			    m.kind > BT_MATCH_UNREACH)
				abort();
			bt_flow one;
			bt_match6 m1;
			bt_flow_init(&one, method, m.flow, 0, secret);
			if (bt_probe6_match(&one, &r, &m1) != 0 || memcmp(&m, &m1, sizeof(m)) != 0)
				abort();
		}
	}
	free(pkt);
	return 0;
}
