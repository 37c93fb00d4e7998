/* bordertrace lab test — IPv6 probes on the wire: run inside the VP
 * namespace of tests/lab/topo/linear.topo (test_wire6.sh does), it sends
 * one probe per method and hop limit 1..4 through bt_probe6_emit on a
 * LIBNET_RAW6 builder, captures the replies with libpcap, and checks that
 * each parses (bt_reply6_parse) and matches (bt_probe6_match_flows) to the
 * right hop limit: the three routers' time exceeded from the addresses of
 * the lab's truth, then the destination (echo reply, port unreachable, TCP
 * RST). Prints TAP; exits 1 on a failed check.
 *   wire6 SRC DST RTR1 RTR2 RTR3 */
#include <arpa/inet.h>
#include <libnet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bordertrace/probe6.h"
#include "bordertrace/reply6.h"

#define HOPS 4

static int n_checks, failed;

static void check(bool ok, const char *what, const char *method, int hlim)
{
	n_checks++;
	printf("%s %d - %s hop limit %d: %s\n", ok ? "ok" : "not ok", n_checks, method, hlim, what);
	if (!ok)
		failed = 1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const char *mname[] = { "icmp-paris", "udp-paris", "tcp-syn" };
	uint8_t src[16], dst[16], hop[HOPS][16];
	char err[PCAP_ERRBUF_SIZE + 256];

	if (argc != 6 || inet_pton(AF_INET6, argv[1], src) != 1 || inet_pton(AF_INET6, argv[2], dst) != 1) {
		fprintf(stderr, "usage: wire6 SRC DST RTR1 RTR2 RTR3\n");
		return 2;
	}
	for (int i = 0; i < 3; i++)
		if (inet_pton(AF_INET6, argv[3 + i], hop[i]) != 1)
			return 2;
	memcpy(hop[3], dst, 16);

	pcap_t *pc = pcap_create("any", err);
	if (pc == NULL || pcap_set_immediate_mode(pc, 1) != 0 || pcap_set_snaplen(pc, 2048) != 0 ||
	    pcap_set_timeout(pc, 50) != 0 || pcap_activate(pc) < 0) {
		fprintf(stderr, "wire6: pcap: %s\n", pc ? pcap_geterr(pc) : err);
		return 1;
	}
	struct bpf_program prog;
	/* protochain: replies behind extension headers too */
	if (pcap_compile(pc, &prog, "ip6 protochain 58 or (ip6 and tcp)", 1, PCAP_NETMASK_UNKNOWN) != 0 ||
	    pcap_setfilter(pc, &prog) != 0 || pcap_setnonblock(pc, 1, err) != 0) {
		fprintf(stderr, "wire6: filter: %s\n", pcap_geterr(pc));
		return 1;
	}
	pcap_freecode(&prog);
	int dlt = pcap_datalink(pc);

	bt_probe_builder *b = bt_probe_builder_open(LIBNET_RAW6, NULL, err, sizeof(err));
	if (b == NULL) {
		fprintf(stderr, "wire6: %s\n", err);
		return 1;
	}
	uint32_t secret = (uint32_t)time(NULL) * 2654435761u;
	for (int m = 0; m < 3; m++) {
		bt_flow f;
		bt_flow_init(&f, (bt_method)m, 5, 0, secret);
		for (int hl = 1; hl <= HOPS; hl++)
			if (bt_probe6_emit(b, &f, src, dst, (uint8_t)hl, 1, err, sizeof(err)) != BT_PROBE6_LEN) {
				fprintf(stderr, "wire6: %s\n", err);
				return 1;
			}
		/* what each hop limit drew: the first matched reply */
		bool got[HOPS + 1] = { false };
		bt_match6 mt[HOPS + 1];
		bt_reply6 rp[HOPS + 1];
		int foreign = 0;
		for (double end = now() + 1.5; now() < end;) {
			struct pcap_pkthdr *h;
			const u_char *pkt;
			int rc = pcap_next_ex(pc, &h, &pkt);
			if (rc == 0) {
				struct timespec ts = { 0, 10000000 };
				nanosleep(&ts, NULL);
				continue;
			}
			if (rc < 0)
				break;
			bt_reply6 r;
			bt_match6 x;
			if (bt_reply6_parse(pkt, h->caplen, dlt, &r) != BT_REPLY_OK)
				continue; /* our own probes (TCP SYN) and others */
			if (bt_probe6_match_flows(&f, 1, &r, &x) != 0) {
				foreign++;
				continue;
			}
			if (x.hlim >= 1 && x.hlim <= HOPS && !got[x.hlim]) {
				got[x.hlim] = true;
				mt[x.hlim] = x;
				rp[x.hlim] = r;
			}
		}
		for (int hl = 1; hl <= HOPS; hl++) {
			check(got[hl], "a reply parsed and matched", mname[m], hl);
			if (!got[hl])
				continue;
			check(memcmp(rp[hl].src, hop[hl - 1], 16) == 0, "from the hop of the lab's truth", mname[m], hl);
			check(memcmp(mt[hl].dst, dst, 16) == 0 && mt[hl].attempt == 1 && mt[hl].flow == 5,
			      "destination, attempt and flow of the probe", mname[m], hl);
			bt_match_kind want = hl < HOPS ? BT_MATCH_HOP : BT_MATCH_DEST;
			check(mt[hl].kind == want, hl < HOPS ? "time exceeded: a hop" : "the destination", mname[m], hl);
			if (hl < HOPS)
				check(rp[hl].quoted && rp[hl].q_flowlabel == bt_probe6_flowlabel(&f) && rp[hl].q_hlim <= 1,
				      "the quote keeps the flow label", mname[m], hl);
		}
		(void)foreign;
	}
	bt_probe_builder_close(b);
	pcap_close(pc);
	printf("1..%d\n", n_checks);
	return failed;
}
