/* bordertrace — the trace record as a traceroute-style text table (see
 * include/bordertrace/trace_text.h). The unreachable markers follow BSD
 * traceroute's (the LBL original, as in FreeBSD and OpenBSD), so that a
 * reader who knows traceroute reads them without a legend: doc/cli.md. */
#include "bordertrace/trace_text.h"

#include <netinet/tcp.h>
#include <sys/socket.h>

#include "bordertrace/icmp.h"

/* ICMP destination unreachable codes (RFC 792, RFC 1812) -> marker. Codes
 * without a letter print as "!<code>"; port unreachable is handled apart. */
static const char *const unreach4[] = {
	[BT_ICMP_UNREACH_NET] = "!N",
	[BT_ICMP_UNREACH_HOST] = "!H",
	[BT_ICMP_UNREACH_PROTOCOL] = "!P",
	[BT_ICMP_UNREACH_NEEDFRAG] = "!F",
	[BT_ICMP_UNREACH_SRCFAIL] = "!S",
	[BT_ICMP_UNREACH_NET_UNKNOWN] = "!U",
	[BT_ICMP_UNREACH_HOST_UNKNOWN] = "!W",
	[BT_ICMP_UNREACH_ISOLATED] = "!I",
	[BT_ICMP_UNREACH_NET_PROHIB] = "!A",
	[BT_ICMP_UNREACH_HOST_PROHIB] = "!Z",
	[BT_ICMP_UNREACH_TOSNET] = "!Q",
	[BT_ICMP_UNREACH_TOSHOST] = "!T",
	[BT_ICMP_UNREACH_FILTER_PROHIB] = "!X",
	[BT_ICMP_UNREACH_HOST_PRECEDENCE] = "!V",
	[BT_ICMP_UNREACH_PRECEDENCE_CUTOFF] = "!C",
};

/* ICMPv6 destination unreachable codes (RFC 4443) -> marker, as Linux
 * traceroute6 writes them. */
static const char *const unreach6[] = {
	[BT_ICMP6_UNREACH_NOROUTE] = "!N",
	[BT_ICMP6_UNREACH_ADMIN] = "!X",
	[BT_ICMP6_UNREACH_BEYONDSCOPE] = "!S",
	[BT_ICMP6_UNREACH_ADDR] = "!H",
};

const char *bt_hop_marker(const bt_trace *t, const bt_hop *h, char *buf, size_t buflen)
{
	bool v6 = t->dst.family == AF_INET6;
	const char *const *names = v6 ? unreach6 : unreach4;
	size_t nnames = v6 ? sizeof(unreach6) / sizeof(unreach6[0]) : sizeof(unreach4) / sizeof(unreach4[0]);
	unsigned port = v6 ? BT_ICMP6_UNREACH_PORT : BT_ICMP_UNREACH_PORT;

	if (h->tcp_flags || h->icmp_type != (v6 ? BT_ICMP6_UNREACH : BT_ICMP_UNREACH))
		return "";
	/* The destination's port unreachable is the answer a UDP trace wants. */
	if (h->icmp_code == port && bt_addr_cmp(&h->addr, &t->dst) == 0)
		return "";
	if (h->icmp_code < nnames && names[h->icmp_code] != NULL)
		return names[h->icmp_code];
	snprintf(buf, buflen, "!<%u>", h->icmp_code);
	return buf;
}

/* One entry; the TTL on the first of its TTL only (format version 2: a
 * TTL may hold several). */
static void print_hop(FILE *f, const bt_trace *t, const bt_hop *h, bool first)
{
	char a[BT_ADDR_STRLEN], mark[BT_MARKER_LEN], ttl[8] = "   ";
	if (first)
		snprintf(ttl, sizeof(ttl), "%3u", h->probe_ttl);
	if (!bt_addr_is_set(&h->addr)) {
		fprintf(f, "%s  *\n", ttl);
		return;
	}
	fprintf(f, "%s  %-15s  %8.3f ms", ttl, bt_addr_format(&h->addr, a, sizeof(a)),
		h->rtt_us / 1000.0);
	const char *m = bt_hop_marker(t, h, mark, sizeof(mark));
	if (*m)
		fprintf(f, "  %s", m);
	if (h->tcp_flags)
		fprintf(f, "  [%s]", (h->tcp_flags & TH_RST) ? "RST" : "SYN-ACK");
	for (unsigned k = 0; k < h->mpls_count; k++)
		fprintf(f, "%s%u", k ? "," : "  MPLS ", h->mpls[k].label);
	if (bt_hop_flow(t, h) != t->flow)
		fprintf(f, "  flow %u", h->flow);
	fputc('\n', f);
}

void bt_trace_print_text(FILE *f, const bt_trace *t)
{
	char a[BT_ADDR_STRLEN], b[BT_ADDR_STRLEN];
	fprintf(f, "trace to %s from %s, %s", bt_addr_format(&t->dst, a, sizeof(a)),
		bt_addr_format(&t->src, b, sizeof(b)), bt_method_name(t->method));
	if (t->method == BT_METHOD_ICMP_PARIS)
		fprintf(f, " flow %u (checksum 0x%04x)\n", t->flow, t->icmp_sum);
	else
		fprintf(f, " flow %u (ports %u -> %u)\n", t->flow, t->sport, t->dport);
	for (size_t i = 0; i < t->hop_count; i++)
		print_hop(f, t, &t->hops[i], i == 0 || t->hops[i - 1].probe_ttl != t->hops[i].probe_ttl);
	if (t->filled_below_ttl)
		fprintf(f, "hops below TTL %u copied from another trace (split TTL)\n", t->filled_below_ttl);
	fprintf(f, "stop: %s", bt_stop_name(t->stop));
	if (t->stop_ttl)
		fprintf(f, " at TTL %u", t->stop_ttl);
	fprintf(f, ", %u probes\n\n", t->probes_sent);
}
