/* sendto_loop — the send-path ceiling: a plain raw-socket sendto() loop of
 * UDP probes shaped like the prober's (IPv4 + UDP + 12 bytes), as fast as
 * one core can go, for a few seconds. Benchmarks report the prober's rate as
 * a ratio to this figure measured in the same run (design.md, "What this
 * class of machine can do").
 *
 *   sendto_loop [-6] [-P] [-t SECONDS] [-n TARGETS] [-m MAXTTL] [-r RATE]
 *
 * -P: the packet-socket ceiling, the prober's `send_path = "packet"`
 * (doc/probing.md, "Send path"): the same packets, whole (source and IP
 * checksum filled here), through an AF_PACKET datagram socket into the
 * namespace's TUN device (through its queueing discipline, as the raw
 * socket's). Both ceilings count the packets the loop got through its
 * kernel send path, whether bt-sim then read them or the TUN device
 * dropped them (bt-sim behind); a packet refused with ENOBUFS (the queue
 * full) counts too ("refused"): it cost the send path all the same.
 *
 * -r RATE: the paced floor instead of the ceiling. The same packets at RATE
 * per second, sent as the prober paces (doc/probing.md, "Pacing and
 * sleeping"): a burst each quantum (5 ms, or one packet's time below 200
 * packets/s, at most 50 ms), asleep in clock_nanosleep between bursts. Run
 * under bench/cputime.py, its CPU per packet is what sending at that rate
 * costs on this machine with nothing else done: no reply read, no state
 * (bench/rates.sh prints the prober's CPU against it).
 *
 * Destinations are 198.18.0.0 + (i mod TARGETS), TARGETS <= 131072, so every
 * packet is addressed inside 198.18.0.0/15 (RFC 2544) by construction; TTLs
 * cycle 1..MAXTTL like a traceroute's. With -6 the packets are IPv6 + UDP +
 * 12 bytes from the VP's 2001:db8:51:100::1 to the IPv6 twins of the same
 * destinations (doc/sim.md: 2001:db8:18:X::Y, inside 2001:db8::/32, RFC 3849),
 * hop limits cycling the same way, the UDP checksum filled (IPv6 requires
 * it; the sum of the fixed part is taken once, the destination's added per
 * packet). It refuses to run unless every
 * interface of its namespace is lo or a TUN device: the caller must have made
 * a test namespace whose routes end in the simulator's TUN device
 * (bench/sim_ceiling.sh). Prints one line:
 * sent, (-P: refused,) errors, seconds, packets per second. */
#include <dirent.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bordertrace/bytes.h"
#include "sim_model.h"

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static unsigned long arg(const char *s, unsigned long min, unsigned long max, const char *what)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "sendto_loop: %s must be %lu..%lu\n", what, min, max);
		exit(2);
	}
	return v;
}

/* Sends only where nothing can leave: every interface of this namespace
 * must be lo or a TUN device (one whose /sys entry has tun_flags), as in the
 * namespace sim_ceiling.sh makes. The machine's own namespace has a real
 * interface, so it fails this. `ip netns exec` mounts the namespace's own
 * /sys; without it the machine's interfaces show, and it fails too. */
static int only_lo_and_tun(void)
{
	/* returns the (last) TUN device's index, 0 when the check fails */
	DIR *d = opendir("/sys/class/net");
	if (!d)
		return 0;
	struct dirent *e;
	int ok = 1, tun = 0;
	char path[512];
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "lo"))
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", e->d_name);
		if (access(path, F_OK) == 0) {
			tun = (int)if_nametoindex(e->d_name);
		} else {
			fprintf(stderr, "sendto_loop: interface %s is not a TUN device\n", e->d_name);
			ok = 0;
		}
	}
	closedir(d);
	return ok ? tun : 0;
}

/* One socket and one probe template per family; fill() writes the fields
 * that change from packet to packet. */
typedef struct sender {
	int fd, v6, packet;
	uint8_t pkt[60];
	size_t len;
	uint32_t fixed; /* IPv6: the UDP checksum's sum without the destination */
	struct sockaddr_in sa4;
	struct sockaddr_in6 sa6;
} sender;

static int sender_open(sender *s, int v6, int packet)
{
	memset(s, 0, sizeof(*s));
	s->v6 = v6;
	s->packet = packet;
	/* IPPROTO_RAW implies the header is ours (IP_HDRINCL, IPV6_HDRINCL).
	 * IPv4: the kernel fills the source address (left 0), the IP checksum
	 * and the total length. IPv6: it sends the header as given, so the
	 * source and payload length are set here. */
	if (packet)
		s->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	else
		s->fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (s->fd < 0) {
		perror("sendto_loop: socket");
		return -1;
	}
	uint8_t *p = s->pkt, *udp = p + (v6 ? 40 : 20);
	if (v6) {
		p[0] = 0x60;
		bt_put16(p + 4, 20);           /* UDP header + 12 bytes */
		p[6] = IPPROTO_UDP;
		bt_sim_addr6(BT_SIM_VP_ADDR, p + 8);
		s->sa6.sin6_family = AF_INET6;
		s->len = 60;
	} else {
		p[0] = 0x45;
		p[3] = 40;
		p[9] = IPPROTO_UDP;
		if (packet)
			bt_put32(p + 12, BT_SIM_VP_ADDR);
		s->sa4.sin_family = AF_INET;
		s->len = 40;
	}
	bt_put16(udp, 40000);  /* sport = the prober's flow 0 */
	bt_put16(udp + 2, 33435); /* dport = the prober's default */
	bt_put16(udp + 4, 20); /* UDP length; IPv4 checksum 0 = none */
	if (v6) /* pseudo-header source, length, next header + UDP */
		s->fixed = bt_sum16(p + 8, 16, 20 + IPPROTO_UDP) + bt_sum16(udp, 20, 0);
	return 0;
}

static void fill(sender *s, unsigned long i, uint32_t dst, uint8_t ttl)
{
	uint8_t *p = s->pkt;
	if (s->v6) {
		p[7] = ttl;
		bt_sim_addr6(dst, p + 24);
		bt_put16(p + 46, bt_cksum(p + 24, 16, s->fixed));
		memcpy(&s->sa6.sin6_addr, p + 24, 16);
	} else {
		bt_put16(p + 4, (uint16_t)i);
		p[8] = ttl;
		bt_put32(p + 16, dst);
		s->sa4.sin_addr.s_addr = htonl(dst);
		if (s->packet) {
			bt_put16(p + 10, 0);
			bt_put16(p + 10, bt_cksum(p, 20, 0));
		}
	}
}

/* The engine's quantum rule (prober/engine.c, plan_nap), in nanoseconds. */
static long quantum_ns(unsigned long rate)
{
	long q = 5000000;
	if (rate < 200)
		q = 1000000000L / (long)rate;
	return q > 50000000 ? 50000000 : q;
}

static void add_ns(struct timespec *t, long ns)
{
	t->tv_nsec += ns;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

/* The paced floor: asleep until each quantum's end, then that quantum's
 * packets (fractions carried over), until SECONDS have passed. */
static unsigned long paced(sender *sd, const struct sockaddr *sa, socklen_t salen, unsigned long rate,
			   unsigned long seconds, unsigned long targets, unsigned long maxttl, unsigned long *errors)
{
	long q = quantum_ns(rate);
	unsigned long quanta = (unsigned long)((double)seconds * 1e9 / (double)q), sent = 0, i = 0;
	double owed = 0;
	struct timespec at;
	clock_gettime(CLOCK_MONOTONIC, &at);
	for (unsigned long k = 0; k < quanta; k++) {
		add_ns(&at, q);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
			;
		owed += (double)rate * (double)q / 1e9;
		for (; owed >= 1; owed -= 1, i++) {
			fill(sd, i, 0xC6120000u + (uint32_t)(i % targets), (uint8_t)(1 + (i / targets) % maxttl));
			if (sendto(sd->fd, sd->pkt, sd->len, 0, sa, salen) < 0)
				(*errors)++;
			else
				sent++;
		}
	}
	return sent;
}

int main(int argc, char **argv)
{
	unsigned long seconds = 5, targets = 65536, maxttl = 16, rate = 0;
	int o, v6 = 0, packet = 0;
	while ((o = getopt(argc, argv, "6Pt:n:m:r:h")) != -1) {
		switch (o) {
		case '6': v6 = 1; break;
		case 'P': packet = 1; break;
		case 't': seconds = arg(optarg, 1, 600, "-t SECONDS"); break;
		case 'n': targets = arg(optarg, 1, 131072, "-n TARGETS"); break;
		case 'm': maxttl = arg(optarg, 1, 255, "-m MAXTTL"); break;
		case 'r': rate = arg(optarg, 1, 10000000, "-r RATE"); break;
		default:
			fprintf(stderr, "usage: sendto_loop [-6] [-t SECONDS] [-n TARGETS] [-m MAXTTL] [-r RATE]\n");
			return o == 'h' ? 0 : 2;
		}
	}
	int tun = only_lo_and_tun();
	if (!tun) {
		fprintf(stderr, "sendto_loop: refusing to send: run it in a namespace with only lo and TUN devices\n");
		return 2;
	}
	sender sd;
	if (sender_open(&sd, v6, packet) != 0)
		return 1;
	const struct sockaddr *sa = v6 ? (const struct sockaddr *)&sd.sa6 : (const struct sockaddr *)&sd.sa4;
	socklen_t salen = v6 ? sizeof(sd.sa6) : sizeof(sd.sa4);
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_ifindex = tun,
				  .sll_protocol = htons(v6 ? ETH_P_IPV6 : ETH_P_IP) };
	if (packet) {
		sa = (const struct sockaddr *)&ll;
		salen = sizeof(ll);
	}

	unsigned long sent = 0, errors = 0, refused = 0, i = 0;
	double t0 = mono(), stop = t0 + (double)seconds, t = t0;
	if (rate) {
		sent = paced(&sd, sa, salen, rate, seconds, targets, maxttl, &errors);
		stop = t0; /* the ceiling's loop below does not run */
		t = mono();
	}
	while (t < stop) {
		for (unsigned b = 0; b < 1024; b++, i++) {
			fill(&sd, i, 0xC6120000u + (uint32_t)(i % targets), (uint8_t)(1 + (i / targets) % maxttl));
			if (sendto(sd.fd, sd.pkt, sd.len, 0, sa, salen) >= 0)
				sent++;
			else if (packet && errno == ENOBUFS)
				refused++;
			else
				errors++;
		}
		t = mono();
	}
	double el = t - t0;
	if (packet)
		printf("sendto_loop: packet %ssent %lu refused %lu errors %lu seconds %.3f pps %.0f\n", v6 ? "ipv6 " : "",
		       sent, refused, errors, el, (double)(sent + refused) / el);
	else
		printf("sendto_loop: %ssent %lu errors %lu seconds %.3f pps %.0f\n", v6 ? "ipv6 " : "", sent, errors,
		       el, (double)sent / el);
	close(sd.fd);
	return 0;
}
