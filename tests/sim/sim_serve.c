/* bordertrace — Internet simulator, the serving loop (sim_serve.h).
 *
 * uring: up to BATCH reads of the device go in one io_uring_enter together
 * with the writes of the replies to the previous batch. Each is RWF_NOWAIT,
 * so every read and write is done inline during the enter: a read of an
 * empty queue completes with -EAGAIN instead of waiting (O_NONBLOCK is not
 * enough: io_uring would wait for the device to be readable), and the
 * completions are all there when the enter returns. The reads and the
 * writes of one enter are done in the order queued (writes first), so the
 * replies leave in the order the probes came. The file and the buffers are
 * registered (no file lookup, no page pinning, no user-copy checks per
 * packet). The clock is read once a batch: a batch is at most BATCH probes,
 * tens of microseconds, against token buckets refilled at hundreds of
 * replies a second (plain reads it once every CLOCK_EVERY packets of a
 * burst, as long). */
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "sim_packet.h"
#include "sim_serve.h"

#define PROG "bt-sim"

#define IN_MAX 65536                 /* the biggest IPv4 packet fits */
#define BATCH 64                     /* reads per io_uring_enter, at most */
#define MIN_READS 4                  /* reads per enter after a short batch */
#define SIGNAL_EVERY 4096            /* packets between looks at the signals */
#define CLOCK_EVERY 64               /* plain: packets of a burst between clock reads */
/* A slot per read; the extra 128 bytes put the slots' headers in different
 * cache sets (64 KiB apart they would all share one). */
#define IN_STRIDE (IN_MAX + 128)

typedef struct serve {
	bt_sim_model *m;
	unsigned phase;
	int fd, sfd;
	const char *dev;
	bt_sim_counters k;
} serve;

/* Packets the kernel dropped because the device's queue was full (bt-sim fell
 * behind): not ours to count, so read from the namespace's /sys (mounted by
 * `ip netns exec`); -1 when unavailable. */
static long long tun_dropped(const char *dev)
{
	char path[128];
	long long v = -1;
	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/tx_dropped", dev);
	FILE *f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void print_counters(const serve *s)
{
	const bt_sim_counters *k = &s->k;
	fprintf(stderr,
		PROG ": phase %u: in %llu, replies %llu (time-exceeded %llu, echo-reply %llu, "
		"port-unreach %llu, tcp-rst %llu), dropped: rate-limit %llu, silent %llu, "
		"dark %llu, no-route %llu, ignored %llu, lost %llu, tun-dropped %lld, "
		"ipv6 in %llu, ipv6 unparsed %llu\n",
		s->phase, (unsigned long long)k->in, (unsigned long long)k->out,
		(unsigned long long)k->time_exceeded, (unsigned long long)k->echo_reply,
		(unsigned long long)k->port_unreach, (unsigned long long)k->tcp_rst,
		(unsigned long long)k->ratelimited, (unsigned long long)k->silent,
		(unsigned long long)k->dark, (unsigned long long)k->noroute,
		(unsigned long long)k->ignored, (unsigned long long)k->lost, tun_dropped(s->dev),
		(unsigned long long)k->in6, (unsigned long long)k->unparsed6);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Handles pending signals; returns 1 when asked to stop. */
static int drain_signals(serve *s)
{
	struct signalfd_siginfo si;
	while (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			s->phase ^= 1;
			fprintf(stderr, PROG ": phase %u\n", s->phase);
		} else if (si.ssi_signo == SIGUSR2) {
			print_counters(s);
		} else {
			return 1;
		}
	}
	return 0;
}

/* Sleeps until the device or a signal has something: 0 to go on, 1 to
 * stop, -1 after an error (printed). */
static int wait_input(serve *s)
{
	struct pollfd pfd[2] = { { .fd = s->fd, .events = POLLIN }, { .fd = s->sfd, .events = POLLIN } };
	if (poll(pfd, 2, -1) < 0 && errno != EINTR) {
		fprintf(stderr, PROG ": poll: %s\n", strerror(errno));
		return -1;
	}
	return (pfd[1].revents & POLLIN) && drain_signals(s);
}

static void read_error(const serve *s, int err)
{
	fprintf(stderr, PROG ": read %s: %s\n", s->dev, strerror(err));
}

/* ---- plain: a read and a write system call a packet ---- */

static int serve_plain(serve *s)
{
	uint8_t *in = malloc(IN_MAX), out[BT_SIM_REPLY_MAX];
	if (!in) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	int rc;
	for (;;) {
		/* Drain the device before sleeping: one poll per burst; the
		 * clock read every CLOCK_EVERY packets of it. */
		unsigned burst = 0;
		uint64_t now = 0;
		for (;;) {
			ssize_t n = read(s->fd, in, IN_MAX);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN)
					break;
				read_error(s, errno);
				rc = -1;
				goto done;
			}
			if (burst % CLOCK_EVERY == 0)
				now = now_ns();
			size_t r = bt_sim_answer(s->m, s->phase, in, (size_t)n, now, out, &s->k);
			if (r && write(s->fd, out, r) != (ssize_t)r)
				s->k.lost++; /* the device refused it: the reply is lost */
			if ((++burst % SIGNAL_EVERY) == 0 && drain_signals(s)) {
				rc = 0;
				goto done;
			}
		}
		if ((rc = wait_input(s)) != 0)
			goto done;
	}
done:
	free(in);
	return rc;
}

/* ---- uring: batches of reads and writes, one io_uring_enter each ---- */

typedef struct uring_io {
	struct io_uring ring;
	uint8_t *in;          /* BATCH slots of IN_STRIDE bytes */
	uint8_t (*out)[BT_SIM_REPLY_MAX]; /* the reply to slot i's probe */
	size_t in_bytes;
	uint32_t wlen[BATCH]; /* length of the reply queued from slot i */
	unsigned queued;      /* requests queued, not yet submitted */
	bool fixed;           /* buffers registered: buffer 0 in, 1 out */
} uring_io;

#define WRITE_TAG BATCH /* user data: slot i's read is i, its write WRITE_TAG + i */

/* 0, or a negative errno (nothing to free then). */
static int uring_open(uring_io *u, int fd)
{
	memset(u, 0, sizeof(*u));
	struct io_uring_params p = { .flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER };
	int r = io_uring_queue_init_params(2 * BATCH, &u->ring, &p);
	if (r == -EINVAL) { /* a kernel before 6.0 */
		memset(&p, 0, sizeof(p));
		r = io_uring_queue_init_params(2 * BATCH, &u->ring, &p);
	}
	if (r < 0)
		return r;
	u->in_bytes = (size_t)BATCH * IN_STRIDE;
	u->in = mmap(NULL, u->in_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	u->out = aligned_alloc(4096, sizeof(*u->out) * BATCH + 4096 - sizeof(*u->out) * BATCH % 4096);
	if (u->in == MAP_FAILED || !u->out) {
		r = -ENOMEM;
		goto fail;
	}
	if ((r = io_uring_register_files(&u->ring, &fd, 1)) < 0)
		goto fail;
	struct iovec iov[2] = { { u->in, u->in_bytes }, { u->out, sizeof(*u->out) * BATCH } };
	u->fixed = io_uring_register_buffers(&u->ring, iov, 2) == 0;
	return 0;
fail:
	if (u->in != MAP_FAILED && u->in)
		munmap(u->in, u->in_bytes);
	free(u->out);
	io_uring_queue_exit(&u->ring);
	return r;
}

/* The ring's reference to the device is dropped here, not in the ring's
 * teardown, which the kernel finishes later in a worker: a bt-sim started
 * right after this one on the same persistent device (bench/accuracy.sh,
 * a round each) would find it still attached (TUNSETIFF: EBUSY). */
static void uring_close(uring_io *u)
{
	io_uring_unregister_files(&u->ring);
	io_uring_queue_exit(&u->ring);
	munmap(u->in, u->in_bytes);
	free(u->out);
}

static void queue_read(uring_io *u, unsigned i)
{
	struct io_uring_sqe *q = io_uring_get_sqe(&u->ring);
	uint8_t *buf = u->in + (size_t)i * IN_STRIDE;
	if (u->fixed)
		io_uring_prep_read_fixed(q, 0, buf, IN_MAX, 0, 0);
	else
		io_uring_prep_read(q, 0, buf, IN_MAX, 0);
	q->flags |= IOSQE_FIXED_FILE;
	q->rw_flags = RWF_NOWAIT;
	io_uring_sqe_set_data64(q, i);
	u->queued++;
}

static void queue_write(uring_io *u, unsigned i, uint32_t len)
{
	struct io_uring_sqe *q = io_uring_get_sqe(&u->ring);
	if (u->fixed)
		io_uring_prep_write_fixed(q, 0, u->out[i], len, 0, 1);
	else
		io_uring_prep_write(q, 0, u->out[i], len, 0);
	q->flags |= IOSQE_FIXED_FILE;
	q->rw_flags = RWF_NOWAIT;
	io_uring_sqe_set_data64(q, WRITE_TAG + i);
	u->wlen[i] = len;
	u->queued++;
}

/* Submits what is queued, waits for all of it (done inline: no wait), then
 * answers the probes read (queueing their replies' writes) and counts the
 * writes the device refused. Sets *got to the probes read; 0, or a negative
 * errno (printed, but for -EOPNOTSUPP: a device without RWF_NOWAIT, which
 * only the first round can meet). */
static int uring_round(uring_io *u, serve *s, unsigned *got)
{
	unsigned want = u->queued;
	int r;
	do
		r = io_uring_submit_and_wait(&u->ring, want);
	while (r == -EINTR);
	if (r < 0) {
		fprintf(stderr, PROG ": io_uring_enter: %s\n", strerror(-r));
		return r;
	}
	u->queued = 0;
	uint64_t now = now_ns();
	unsigned head, seen = 0, n = 0;
	int err = 0;
	struct io_uring_cqe *cqe;
	io_uring_for_each_cqe(&u->ring, head, cqe) {
		unsigned i = (unsigned)cqe->user_data;
		seen++;
		if (i >= WRITE_TAG) {
			if (cqe->res != (int)u->wlen[i - WRITE_TAG])
				s->k.lost++; /* the device refused it: the reply is lost */
			continue;
		}
		if (cqe->res < 0) {
			if (cqe->res != -EAGAIN && !err)
				err = cqe->res;
			continue;
		}
		n++;
		size_t len = bt_sim_answer(s->m, s->phase, u->in + (size_t)i * IN_STRIDE, (size_t)cqe->res,
					   now, u->out[i], &s->k);
		if (len)
			queue_write(u, i, (uint32_t)len);
	}
	io_uring_cq_advance(&u->ring, seen);
	*got = n;
	if (err && err != -EOPNOTSUPP)
		read_error(s, -err);
	return err;
}

/* serve_uring's answer when the device cannot be read with RWF_NOWAIT: it
 * has read nothing then. */
#define NO_NOWAIT 2

/* 0 when stopped, -1 after an error, or NO_NOWAIT. */
static int serve_uring(serve *s, uring_io *u)
{
	unsigned reads = MIN_READS, since = 0;
	int rc;
	for (;;) {
		for (unsigned i = 0; i < reads; i++)
			queue_read(u, i);
		unsigned got;
		int r = uring_round(u, s, &got);
		if (r < 0) {
			rc = r == -EOPNOTSUPP && !s->k.in ? NO_NOWAIT : -1;
			if (rc < 0 && r == -EOPNOTSUPP)
				read_error(s, -r);
			break;
		}
		/* A full batch: the queue holds more. A short one: it was emptied;
		 * fewer reads next time, sleeping when none found a probe. */
		reads = got == reads || got * 2 > BATCH ? BATCH : got * 2 > MIN_READS ? got * 2 : MIN_READS;
		if ((since += got) >= SIGNAL_EVERY) {
			since = 0;
			if (drain_signals(s)) {
				rc = 0;
				break;
			}
		}
		if (!got && (rc = wait_input(s)) != 0) {
			rc = rc < 0 ? -1 : 0;
			break;
		}
	}
	/* The replies to the last batch are still queued: send them. */
	unsigned got;
	if (u->queued && uring_round(u, s, &got) < 0)
		rc = -1;
	return rc;
}

int bt_sim_serve(bt_sim_model *m, unsigned phase, int fd, int sfd, const char *dev, int io)
{
	serve s = { .m = m, .phase = phase, .fd = fd, .sfd = sfd, .dev = dev };
	int rc;
	uring_io u;
	int r = io == BT_SIM_IO_URING ? uring_open(&u, fd) : -1;
	if (io == BT_SIM_IO_URING && r < 0)
		fprintf(stderr, PROG ": io_uring: %s; one read and one write a packet instead\n", strerror(-r));
	if (r == 0) {
		rc = serve_uring(&s, &u);
		uring_close(&u);
		if (rc == NO_NOWAIT)
			fprintf(stderr, PROG ": %s cannot be read with RWF_NOWAIT; one read and one write a packet instead\n",
				dev);
	}
	if (r != 0 || rc == NO_NOWAIT)
		rc = serve_plain(&s);
	print_counters(&s);
	return rc < 0;
}
