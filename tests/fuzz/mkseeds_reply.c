/* bordertrace — writes the seed corpora of fuzz_reply (corpus/reply/) and
 * fuzz_reply6 (corpus/reply6/): replies to probes built by the prober's own
 * builder (as tests/prober/test_probe.c and test_probe6.c make them), each
 * behind the targets' 10-byte run header.
 *   mkseeds_reply DIR [DIR6]
 * The committed seeds were made with it; rerun after a change to the probe
 * encoding so that the seeds reach the matcher's accepting paths again. */
#include <arpa/inet.h>
#include <libnet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/bytes.h"
#include "bordertrace/icmp.h"
#include "bordertrace/probe.h"
#include "bordertrace/probe6.h"
#include "../prober/forge.h"

#define SRC "198.18.0.1"
#define DST "198.18.2.2"
#define RTR "198.18.1.2"
#define SECRET 0x5eed5eedu
#define FLOW 3 /* the probes' flow; the run header says flows 0..7 */

static const char *dir;
static uint16_t ethertype = 0x0800; /* of the frames emit writes */

static uint32_t ip4(const char *s)
{
	struct in_addr a;
	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

static size_t build(bt_method m, uint8_t ttl, uint8_t attempt, uint8_t *buf, size_t len)
{
	char err[256];
	bt_flow f;
	bt_flow_init(&f, m, FLOW, 0, SECRET);
	bt_probe_builder *b = bt_probe_builder_open(LIBNET_NONE, NULL, err, sizeof(err));
	if (b == NULL || bt_probe_build(b, &f, ip4(SRC), ip4(DST), ttl, attempt, err, sizeof(err)) != 0) {
		fprintf(stderr, "mkseeds_reply: %s\n", err);
		exit(1);
	}
	int n = bt_probe_copy(b, buf, len);
	bt_probe_builder_close(b);
	if (n <= 20)
		exit(1);
	return (size_t)n;
}

/* An ICMP error from `from` quoting qlen bytes of the probe. */
static size_t make_error(uint8_t *out, uint8_t type, uint8_t code, const char *from,
			 const uint8_t *body, size_t qlen)
{
	return forge_icmp_error(out, type, code, ip4(from), ip4(SRC), body, qlen, 1);
}

/* link: 0 Ethernet, 1 SLL, 2 SLL2, 3 RAW, 4 IPV4 (IPV6 in fuzz_reply6),
 * 5 unknown (the targets' numbering); vlans: tags in an Ethernet frame. */
static void emit(const char *name, int link, int vlans, bt_method m, uint32_t secret,
		 const uint8_t *ip, size_t n)
{
	uint8_t out[1024];
	size_t o = 0;
	out[o++] = (uint8_t)link;
	out[o++] = (uint8_t)m;
	out[o++] = 0; out[o++] = 0; /* --flow 0 */
	out[o++] = 0; out[o++] = 7; /* --flows 8 */
	out[o++] = (uint8_t)(secret >> 24);
	out[o++] = (uint8_t)(secret >> 16);
	out[o++] = (uint8_t)(secret >> 8);
	out[o++] = (uint8_t)secret;
	memset(out + o, 0, 64);
	switch (link) {
	case 0:
		memcpy(out + o, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
		o += 12;
		for (int i = 0; i < vlans; i++) {
			bt_put16(out + o, i == 0 && vlans == 2 ? 0x88a8 : 0x8100);
			bt_put16(out + o + 2, (uint16_t)(100 + i));
			o += 4;
		}
		bt_put16(out + o, ethertype);
		o += 2;
		break;
	case 1:
		bt_put16(out + o + 2, 1); /* ARPHRD_ETHER */
		bt_put16(out + o + 4, 6);
		bt_put16(out + o + 14, ethertype);
		o += 16;
		break;
	case 2:
		bt_put16(out + o, ethertype);
		bt_put16(out + o + 8, 1);
		o += 20;
		break;
	default:
		break;
	}
	memcpy(out + o, ip, n);
	o += n;
	if (link == 0 && o < 10 + 60) /* Ethernet pads short frames */
		o = 10 + 60;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(out, 1, o, f) != o || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* A time exceeded with an RFC 4884 extension carrying two MPLS labels. */
static size_t make_mpls(uint8_t *r, const uint8_t *probe, int mode)
{
	uint8_t body[128 + 16] = { 0 };
	memcpy(body, probe, 28);
	forge_mpls_ext(body + 128, mode == 2); /* mode 2: bad extension checksum */
	size_t n = make_error(r, BT_ICMP_TIME_EXCEEDED, BT_ICMP_TIMXCEED_INTRANS, RTR, body, sizeof(body));
	if (mode != 1) { /* RFC 4884 length set; mode 1 = pre-4884 (fixed 128) */
		r[25] = 128 / 4;
		bt_put16(r + 22, 0);
		bt_put16(r + 22, bt_cksum(r + 20, n - 20, 0));
	}
	return n;
}

/* ---- IPv6 (fuzz_reply6) ---- */

static uint8_t src6[16], dst6[16], rtr6[16];

static size_t build6(bt_method m, uint8_t hlim, uint8_t attempt, uint8_t *buf)
{
	char err[256];
	bt_flow f;
	bt_flow_init(&f, m, FLOW, 0, SECRET);
	bt_probe_builder *b = bt_probe_builder_open(LIBNET_NONE, NULL, err, sizeof(err));
	int n = b == NULL ? -1 : bt_probe6_render(b, &f, src6, dst6, hlim, attempt, buf, err, sizeof(err));
	if (n != BT_PROBE6_LEN) {
		fprintf(stderr, "mkseeds_reply: %s\n", err);
		exit(1);
	}
	bt_probe_builder_close(b);
	return (size_t)n;
}

static void seeds6(void)
{
	static const char *mname[] = { "icmp", "udp", "tcp" };
	uint8_t p[BT_PROBE_MAX_LEN], r[512], body[256];
	char name[128];
	inet_pton(AF_INET6, "2001:db8::2", src6);
	inet_pton(AF_INET6, "2001:db8:0:3::2", dst6);
	inet_pton(AF_INET6, "2001:db8:0:1::2", rtr6);

	for (int mi = 0; mi < 3; mi++) {
		bt_method m = (bt_method)mi;
		size_t pn = build6(m, 6, 2, p);
		size_t n = forge_icmp6_error(r, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, src6, p, pn, 1, 0);
		snprintf(name, sizeof(name), "te-%s-raw", mname[mi]);
		emit(name, 3, 0, m, SECRET, r, n);
		snprintf(name, sizeof(name), "te-%s-foreign", mname[mi]);
		emit(name, 3, 0, m, SECRET ^ 1, r, n);
		snprintf(name, sizeof(name), "te-%s-eth-vlan", mname[mi]);
		emit(name, 0, 1, m, SECRET, r, n);
		/* cut inside the quoted transport header, and just short of the
		 * UDP tag */
		snprintf(name, sizeof(name), "te-%s-truncated", mname[mi]);
		emit(name, 3, 0, m, SECRET, r, 48 + 40 + 5);
		snprintf(name, sizeof(name), "te-%s-short-quote", mname[mi]);
		emit(name, 3, 0, m, SECRET, r, 48 + 40 + 9);
		/* unreachables: port from the destination, no route from a router */
		n = forge_icmp6_error(r, BT_ICMP6_UNREACH, BT_ICMP6_UNREACH_PORT, dst6, src6, p, pn, 1, 0);
		snprintf(name, sizeof(name), "unreach-port-%s-sll", mname[mi]);
		emit(name, 1, 0, m, SECRET, r, n);
		n = forge_icmp6_error(r, BT_ICMP6_UNREACH, BT_ICMP6_UNREACH_NOROUTE, rtr6, src6, p, pn, 1, 0);
		snprintf(name, sizeof(name), "unreach-noroute-%s-sll2", mname[mi]);
		emit(name, 2, 0, m, SECRET, r, n);
		/* MPLS extensions: RFC 4884 length, pre-4884 (128), bad checksum */
		for (int mode = 0; mode < 3; mode++) {
			memset(body, 0, 128 + 16);
			memcpy(body, p, pn);
			forge_mpls_ext(body + 128, mode == 2);
			n = forge_icmp6_error(r, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, src6, body, 128 + 16, 1,
					      mode == 1 ? 0 : 128 / 8);
			static const char *mm[] = { "rfc4884", "compat128", "badsum" };
			snprintf(name, sizeof(name), "mpls-%s-%s", mm[mode], mname[mi]);
			emit(name, 3, 0, m, SECRET, r, n);
		}
		/* the quote with hop-by-hop and a first fragment header */
		memcpy(body, p, 40);
		body[6] = 0; /* hop-by-hop */
		size_t q = 40 + forge_ip6_ext(body + 40, 44, 0);
		memset(body + q, 0, 8);
		body[q] = p[6];
		q += 8;
		memcpy(body + q, p + 40, pn - 40);
		n = forge_icmp6_error(r, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, src6, body, q + pn - 40, 1, 0);
		snprintf(name, sizeof(name), "te-%s-quote-ext", mname[mi]);
		emit(name, 3, 0, m, SECRET, r, n);
	}

	/* a reply behind hop-by-hop, destination options and routing headers */
	size_t pn = build6(BT_METHOD_ICMP_PARIS, 6, 2, p);
	size_t in = forge_icmp6_error(body, BT_ICMP6_TIME_EXCEEDED, 0, rtr6, src6, p, pn, 1, 0) - 40;
	size_t c = forge_ip6_ext(r + 40, 60, 0);
	c += forge_ip6_ext(r + 40 + c, 43, 1);
	c += forge_ip6_ext(r + 40 + c, 58, 0);
	forge_ip6(r, (uint16_t)(c + in), 0, 60, rtr6, src6);
	memcpy(r + 40 + c, body + 40, in);
	emit("te-ext-chain-raw", 3, 0, BT_METHOD_ICMP_PARIS, SECRET, r, 40 + c + in);
	/* the same as a non-first fragment */
	memset(r + 40, 0, 8);
	r[40] = 58;
	bt_put16(r + 42, 8 << 3);
	forge_ip6(r, (uint16_t)(8 + in), 44, 60, rtr6, src6);
	memcpy(r + 48, body + 40, in);
	emit("fragment-later-raw", 3, 0, BT_METHOD_ICMP_PARIS, SECRET, r, 48 + in);

	/* echo reply from the destination, with a fresh checksum */
	pn = build6(BT_METHOD_ICMP_PARIS, 7, 1, p);
	forge_ip6(r, (uint16_t)(pn - 40), 58, 57, dst6, src6);
	memcpy(r + 40, p + 40, pn - 40);
	r[40] = BT_ICMP6_ECHO_REPLY;
	forge_icmp6_sum(r + 40, pn - 40, dst6, src6);
	emit("echo-reply-raw", 3, 0, BT_METHOD_ICMP_PARIS, SECRET, r, pn);
	emit("echo-reply-eth-qinq", 0, 2, BT_METHOD_ICMP_PARIS, SECRET, r, pn);

	/* TCP RST and SYN-ACK from the destination, acknowledging seq + 1 */
	pn = build6(BT_METHOD_TCP_SYN, 5, 1, p);
	forge_ip6(r, 20, 6, 59, dst6, src6);
	memset(r + 40, 0, 20);
	memcpy(r + 40, p + 42, 2);
	memcpy(r + 42, p + 40, 2);
	bt_put32(r + 48, bt_get32(p + 44) + 1);
	r[52] = 0x50;
	r[53] = 0x14;
	emit("tcp-rst-ipv6", 4, 0, BT_METHOD_TCP_SYN, SECRET, r, 60);
	r[53] = 0x12;
	emit("tcp-synack-eth", 0, 0, BT_METHOD_TCP_SYN, SECRET, r, 60);

	/* not replies: IPv4 in DLT_RAW, an unknown link type */
	memset(r, 0, 64);
	r[0] = 0x45;
	emit("ipv4-raw", 3, 0, BT_METHOD_ICMP_PARIS, SECRET, r, 48);
	emit("unknown-link", 5, 0, BT_METHOD_ICMP_PARIS, SECRET, p, pn);
}

int main(int argc, char **argv)
{
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: mkseeds_reply DIR [DIR6]\n");
		return 2;
	}
	dir = argv[1];
	static const char *mname[] = { "icmp", "udp", "tcp" };
	uint8_t p[256], r[512];
	char name[128];

	for (int mi = 0; mi < 3; mi++) {
		bt_method m = (bt_method)mi;
		size_t pn = build(m, 6, 2, p, sizeof(p));
		size_t n = make_error(r, BT_ICMP_TIME_EXCEEDED, BT_ICMP_TIMXCEED_INTRANS, RTR, p, 28);
		snprintf(name, sizeof(name), "te-%s-raw", mname[mi]);
		emit(name, 3, 0, m, SECRET, r, n);
		/* another run's secret: foreign */
		snprintf(name, sizeof(name), "te-%s-foreign", mname[mi]);
		emit(name, 3, 0, m, SECRET ^ 1, r, n);
		/* the whole probe quoted */
		n = make_error(r, BT_ICMP_TIME_EXCEEDED, BT_ICMP_TIMXCEED_INTRANS, RTR, p, pn);
		snprintf(name, sizeof(name), "te-%s-fullquote-eth", mname[mi]);
		emit(name, 0, 0, m, SECRET, r, n);
		/* unreachables: from the destination, from a router */
		uint8_t code = m == BT_METHOD_UDP_PARIS ? BT_ICMP_UNREACH_PORT : BT_ICMP_UNREACH_PROTOCOL;
		n = make_error(r, BT_ICMP_UNREACH, code, DST, p, 28);
		snprintf(name, sizeof(name), "unreach-dst-%s-sll", mname[mi]);
		emit(name, 1, 0, m, SECRET, r, n);
		n = make_error(r, BT_ICMP_UNREACH, BT_ICMP_UNREACH_HOST, RTR, p, 28);
		snprintf(name, sizeof(name), "unreach-host-%s-sll2", mname[mi]);
		emit(name, 2, 0, m, SECRET, r, n);
		/* MPLS extensions: RFC 4884, pre-4884, bad checksum */
		for (int mode = 0; mode < 3; mode++) {
			n = make_mpls(r, p, mode);
			static const char *mm[] = { "rfc4884", "compat128", "badsum" };
			snprintf(name, sizeof(name), "mpls-%s-%s", mm[mode], mname[mi]);
			emit(name, 3, 0, m, SECRET, r, n);
		}
		/* cut inside the quoted transport header */
		n = make_error(r, BT_ICMP_TIME_EXCEEDED, BT_ICMP_TIMXCEED_INTRANS, RTR, p, 28);
		snprintf(name, sizeof(name), "te-%s-truncated", mname[mi]);
		emit(name, 3, 0, m, SECRET, r, n - 5);
	}

	/* ICMP echo reply from the destination, with a fresh checksum */
	size_t pn = build(BT_METHOD_ICMP_PARIS, 7, 1, p, sizeof(p));
	memset(r, 0, sizeof(r));
	r[0] = 0x45;
	bt_put16(r + 2, (uint16_t)pn);
	r[8] = 57;
	r[9] = IPPROTO_ICMP;
	memcpy(r + 12, p + 16, 4);
	memcpy(r + 16, p + 12, 4);
	memcpy(r + 20, p + 20, pn - 20);
	r[20] = BT_ICMP_ECHO_REPLY;
	bt_put16(r + 22, 0);
	bt_put16(r + 22, bt_cksum(r + 20, pn - 20, 0));
	emit("echo-reply-raw", 3, 0, BT_METHOD_ICMP_PARIS, SECRET, r, pn);
	emit("echo-reply-eth-vlan", 0, 1, BT_METHOD_ICMP_PARIS, SECRET, r, pn);
	emit("echo-reply-eth-qinq", 0, 2, BT_METHOD_ICMP_PARIS, SECRET, r, pn);

	/* TCP RST and SYN-ACK from the destination, acknowledging seq + 1 */
	pn = build(BT_METHOD_TCP_SYN, 5, 1, p, sizeof(p));
	memset(r, 0, sizeof(r));
	r[0] = 0x45;
	bt_put16(r + 2, 40);
	r[8] = 59;
	r[9] = IPPROTO_TCP;
	memcpy(r + 12, p + 16, 4);
	memcpy(r + 16, p + 12, 4);
	memcpy(r + 20, p + 22, 2);
	memcpy(r + 22, p + 20, 2);
	uint32_t seq = ((uint32_t)bt_get16(p + 24) << 16) | bt_get16(p + 26);
	uint32_t ack = htonl(seq + 1);
	memcpy(r + 28, &ack, 4);
	r[32] = 0x50;
	r[33] = 0x14;
	emit("tcp-rst-ipv4", 4, 0, BT_METHOD_TCP_SYN, SECRET, r, 40);
	r[33] = 0x12;
	emit("tcp-synack-eth", 0, 0, BT_METHOD_TCP_SYN, SECRET, r, 40);

	/* not replies: ARP frame, IPv6, unknown link type, a fragment */
	memset(r, 0, 64);
	emit("unknown-link", 5, 0, BT_METHOD_ICMP_PARIS, SECRET, p, 28);
	r[0] = 0x60;
	emit("ipv6-raw", 3, 0, BT_METHOD_ICMP_PARIS, SECRET, r, 48);
	pn = build(BT_METHOD_UDP_PARIS, 2, 1, p, sizeof(p));
	size_t n = make_error(r, BT_ICMP_TIME_EXCEEDED, BT_ICMP_TIMXCEED_INTRANS, RTR, p, 28);
	bt_put16(r + 6, 0x0010);
	emit("fragment-raw", 3, 0, BT_METHOD_UDP_PARIS, SECRET, r, n);
	if (argc == 3) {
		dir = argv[2];
		ethertype = 0x86dd;
		seeds6();
	}
	return 0;
}
