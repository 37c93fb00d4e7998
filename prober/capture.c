/* bordertrace — the engine's capture handle (see capture.h). */
#include "capture.h"

#include <linux/if_packet.h>
#include <stdio.h>
#include <sys/socket.h>

static int capture_setup(bt_capture *c, const char *dev, const char *filter, int bufsize, int block_ms,
			 char *err, size_t errlen, bool *eperm)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	pcap_set_snaplen(c->pcap, 2048);
	pcap_set_promisc(c->pcap, 0);
	if (block_ms > 0) {
		/* Not immediate mode: libpcap then uses the kernel's TPACKET_V3
		 * ring, whose replies are packed into blocks (256 KiB each)
		 * handed over when full or block_ms after the last hand-over.
		 * Immediate mode (TPACKET_V2) costs the kernel two cache misses
		 * per reply on frame headers the loop writes back from its own
		 * core: a quarter of what delivering a reply costs at full speed
		 * (doc/probing.md, "Engine"). Timestamps stay per reply. */
		pcap_set_immediate_mode(c->pcap, 0);
		pcap_set_timeout(c->pcap, block_ms);
	} else {
		/* Deliver each reply at once rather than when a block fills. */
		pcap_set_immediate_mode(c->pcap, 1);
	}
	pcap_set_buffer_size(c->pcap, bufsize);
	int rc = pcap_activate(c->pcap);
	if (rc < 0) {
		if (rc == PCAP_ERROR_PERM_DENIED)
			*eperm = true;
		snprintf(err, errlen, "capture on %s: %s", dev, pcap_geterr(c->pcap));
		return -1;
	}
	if (pcap_setdirection(c->pcap, PCAP_D_IN) != 0) {
		/* Not fatal: the filter never matches our own probes. */
	}
	/* Keep our own probes out of the capture socket altogether: without it
	 * the kernel clones every outgoing packet for the socket's filter to
	 * drop (a tenth of the send cost at high rates). Not fatal either. */
	int one = 1;
	(void)setsockopt(pcap_get_selectable_fd(c->pcap), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if (pcap_compile(c->pcap, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "capture filter: %s", pcap_geterr(c->pcap));
		return -1;
	}
	rc = pcap_setfilter(c->pcap, &prog);
	pcap_freecode(&prog);
	if (rc != 0) {
		snprintf(err, errlen, "capture filter: %s", pcap_geterr(c->pcap));
		return -1;
	}
	if (pcap_setnonblock(c->pcap, 1, ebuf) != 0) {
		snprintf(err, errlen, "capture: %s", ebuf);
		return -1;
	}
	return 0;
}

/* The block ring pays where delivering replies is the cost: near full
 * speed. Below, a block handed over after its timeout would hold a reply
 * that far past its probe's deadline (counted late), and mostly empty
 * 256-KiB blocks would need a ring many times the size for the same time. */
#define BLOCKS_FROM_PPS 100000
#define BLOCK_MS 5      /* at most the loop's quantum */
#define BLOCKS_MIN 50   /* a quarter second of blocks, however few replies each holds */

int bt_capture_open(bt_capture *c, const char *device, const char *filter, uint32_t rate_pps, char *err,
		    size_t errlen, bool *eperm)
{
	/* Room for the replies of a quarter second at the rate (64 bytes a
	 * probe), at least 2 MiB, at most 32 MiB: the kernel zeroes the whole
	 * ring when it is set up, about 0.4 ms of CPU per MiB, which a round at
	 * 100 probes/s would otherwise spend on room it never uses. */
	uint64_t want = (uint64_t)rate_pps * 64u;
	int bufsize = want < (2u << 20) ? 2 << 20 : want > (32u << 20) ? 32 << 20 : (int)want;
	int block_ms = rate_pps == 0 || rate_pps >= BLOCKS_FROM_PPS ? BLOCK_MS : 0; /* 0: immediate */
	if (block_ms > 0 && bufsize < BLOCKS_MIN * (256 << 10))
		bufsize = BLOCKS_MIN * (256 << 10); /* 12.5 MiB */
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	const char *dev = device ? device : "any";
	c->fd = -1;
	c->pcap = pcap_create(dev, ebuf);
	if (c->pcap == NULL) {
		snprintf(err, errlen, "capture on %s: %s", dev, ebuf);
		return -1;
	}
	if (capture_setup(c, dev, filter, bufsize, block_ms, err, errlen, eperm) != 0)
		return -1;
	c->fd = pcap_get_selectable_fd(c->pcap);
	c->dlt = pcap_datalink(c->pcap);
	if (c->fd < 0) {
		snprintf(err, errlen, "capture on %s has no selectable descriptor", dev);
		return -1;
	}
	return 0;
}

void bt_capture_close(bt_capture *c)
{
	if (c->pcap)
		pcap_close(c->pcap);
	c->pcap = NULL;
	c->fd = -1;
}

void bt_capture_stats(bt_capture *c, bt_engine_stats *st)
{
	struct pcap_stat ps;
	if (c->pcap && pcap_stats(c->pcap, &ps) == 0) {
		st->pcap_received = ps.ps_recv;
		st->pcap_dropped = ps.ps_drop;
		st->pcap_ifdropped = ps.ps_ifdrop;
	}
}
