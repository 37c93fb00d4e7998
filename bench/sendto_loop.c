/* sendto_loop — the send-path ceiling: a plain raw-socket sendto() loop of
 * UDP probes shaped like the prober's (IPv4 + UDP + 12 bytes), as fast as
 * one core can go, for a few seconds. Benchmarks report the prober's rate as
 * a ratio to this figure measured in the same run (design.md, "What this
 * class of machine can do").
 *
 *   sendto_loop [-6] [-t SECONDS] [-n TARGETS] [-m MAXTTL]
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
 * sent, errors, seconds, packets per second. */
#include <dirent.h>
#include <errno.h>
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
			tun = 1;
		} else {
			fprintf(stderr, "sendto_loop: interface %s is not a TUN device\n", e->d_name);
			ok = 0;
		}
	}
	closedir(d);
	return ok && tun;
}

/* The IPv6 loop: the same destinations' twins, the same TTL cycle. */
static int loop6(unsigned long seconds, unsigned long targets, unsigned long maxttl)
{
	/* IPPROTO_RAW over IPv6 implies IPV6_HDRINCL: the kernel sends the
	 * header as given, source and payload length included. */
	int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0) {
		perror("sendto_loop: socket");
		return 1;
	}
	uint8_t pkt[60];
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x60;
	bt_put16(pkt + 4, 20);                 /* UDP header + 12 bytes */
	pkt[6] = IPPROTO_UDP;
	bt_sim_addr6(BT_SIM_VP_ADDR, pkt + 8);
	bt_put16(pkt + 40, 40000);             /* sport = the prober's flow 0 */
	bt_put16(pkt + 42, 33435);             /* dport = the prober's default */
	bt_put16(pkt + 44, 20);
	/* Pseudo-header and UDP without the destination: the same for all. */
	uint32_t fixed = bt_sum16(pkt + 8, 16, 20 + IPPROTO_UDP) + bt_sum16(pkt + 40, 20, 0);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };

	unsigned long sent = 0, errors = 0, i = 0;
	double t0 = mono(), stop = t0 + (double)seconds, t = t0;
	while (t < stop) {
		for (unsigned b = 0; b < 1024; b++, i++) {
			uint32_t dst = 0xC6120000u + (uint32_t)(i % targets);
			pkt[7] = (uint8_t)(1 + (i / targets) % maxttl);
			bt_sim_addr6(dst, pkt + 24);
			bt_put16(pkt + 46, 0);
			bt_put16(pkt + 46, bt_cksum(pkt + 24, 16, fixed));
			memcpy(&sa.sin6_addr, pkt + 24, 16);
			if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
				errors++;
			else
				sent++;
		}
		t = mono();
	}
	double el = t - t0;
	printf("sendto_loop: ipv6 sent %lu errors %lu seconds %.3f pps %.0f\n", sent, errors, el, (double)sent / el);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long seconds = 5, targets = 65536, maxttl = 16;
	int o, v6 = 0;
	while ((o = getopt(argc, argv, "6t:n:m:h")) != -1) {
		switch (o) {
		case '6': v6 = 1; break;
		case 't': seconds = arg(optarg, 1, 600, "-t SECONDS"); break;
		case 'n': targets = arg(optarg, 1, 131072, "-n TARGETS"); break;
		case 'm': maxttl = arg(optarg, 1, 255, "-m MAXTTL"); break;
		default:
			fprintf(stderr, "usage: sendto_loop [-6] [-t SECONDS] [-n TARGETS] [-m MAXTTL]\n");
			return o == 'h' ? 0 : 2;
		}
	}
	if (!only_lo_and_tun()) {
		fprintf(stderr, "sendto_loop: refusing to send: run it in a namespace with only lo and TUN devices\n");
		return 2;
	}
	if (v6)
		return loop6(seconds, targets, maxttl);
	/* IPPROTO_RAW implies IP_HDRINCL; the kernel fills the source address
	 * (left 0), the IP checksum and the total length. */
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0) {
		perror("sendto_loop: socket");
		return 1;
	}
	uint8_t pkt[40];
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x45;
	pkt[3] = sizeof(pkt);
	pkt[9] = IPPROTO_UDP;
	pkt[20] = 40000 >> 8, pkt[21] = 40000 & 0xff;  /* sport = the prober's flow 0 */
	pkt[22] = 33435 >> 8, pkt[23] = 33435 & 0xff;  /* dport = the prober's default */
	pkt[25] = 20;                                   /* UDP length; checksum 0 = none */
	struct sockaddr_in sa = { .sin_family = AF_INET };

	unsigned long sent = 0, errors = 0, i = 0;
	double t0 = mono(), stop = t0 + (double)seconds, t = t0;
	while (t < stop) {
		for (unsigned b = 0; b < 1024; b++, i++) {
			uint32_t dst = 0xC6120000u + (uint32_t)(i % targets);
			uint8_t ttl = (uint8_t)(1 + (i / targets) % maxttl);
			pkt[4] = (uint8_t)(i >> 8), pkt[5] = (uint8_t)i;
			pkt[8] = ttl;
			pkt[16] = (uint8_t)(dst >> 24), pkt[17] = (uint8_t)(dst >> 16);
			pkt[18] = (uint8_t)(dst >> 8), pkt[19] = (uint8_t)dst;
			sa.sin_addr.s_addr = htonl(dst);
			if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
				errors++;
			else
				sent++;
		}
		t = mono();
	}
	double el = t - t0;
	printf("sendto_loop: sent %lu errors %lu seconds %.3f pps %.0f\n", sent, errors, el, (double)sent / el);
	close(fd);
	return 0;
}
