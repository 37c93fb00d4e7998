/* bordertrace convert — traces from any source the analysis reads (our
 * round files, scamper warts, RIPE Atlas results: input.h) written as our
 * JSON Lines or as warts (warts_write.h, doc/warts.md). The output is
 * replaced atomically: a temporary file beside it, renamed at the end. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bordertrace/cli.h"
#include "bordertrace/input.h"
#include "bordertrace/warts_write.h"
#include "commands.h"

#define CMD "convert"
#define PLACES BT_PIPELINE_SKIP_PLACES

static void convert_usage(FILE *f)
{
	fprintf(f,
		"usage: bordertrace convert [--to jsonl|warts] -o OUT [OPTIONS] INPUT...\n"
		"\n"
		"Reads every trace of the input files (our round files, scamper warts, RIPE\n"
		"Atlas results: told apart by content; '-' our JSON Lines on stdin) and\n"
		"writes them to OUT, replaced only when everything was read and written\n"
		"(doc/warts.md says what warts cannot hold).\n"
		"\n"
		"  --to FORMAT             jsonl (our JSON Lines, record v2) or warts;\n"
		"                          default: warts when OUT ends in .warts, else jsonl\n"
		"  -o, --output OUT        the file written\n"
		"  --round-interval SECS   Atlas results: rounds of this many seconds (3600)\n"
		"  -v, --verbose           every place of a skipped object\n"
		"  -h, --help              this text\n"
		"\n"
		"exit status: 0 ok, 1 bad input or a write failure, 2 usage error\n");
}

typedef struct conv_args {
	const char *out;
	bool warts;
	bt_input_opts in;
	char **inputs;
	int ninputs;
} conv_args;

enum { OPT_TO = BT_OPT_NEXT, OPT_ROUND_INTERVAL };

static int parse_to(conv_args *a, const char *v, bool *set)
{
	if (strcmp(v, "jsonl") != 0 && strcmp(v, "warts") != 0)
		return bt_cmd_usage_error(CMD, "--to: '%s' is neither jsonl nor warts", v);
	a->warts = strcmp(v, "warts") == 0;
	*set = true;
	return 0;
}

static int parse_args(int argc, char **argv, conv_args *a)
{
	static const struct option opts[] = {
		{"to", required_argument, NULL, OPT_TO},
		{"output", required_argument, NULL, 'o'},
		{"round-interval", required_argument, NULL, OPT_ROUND_INTERVAL},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char why[1024];
	bool to_set = false;
	int c;
	optind = 1;
	while ((c = bt_cli_getopt(argc, argv, "ho:v", opts, why, sizeof(why))) != -1) {
		char *end;
		unsigned long v;
		switch (c) {
		case 'h': convert_usage(stdout); return BT_EXIT_OK;
		case 'o': a->out = optarg; break;
		case 'v': a->in.verbose = true; break;
		case OPT_TO:
			if (parse_to(a, optarg, &to_set) != 0)
				return BT_EXIT_USAGE;
			break;
		case OPT_ROUND_INTERVAL:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || v == 0 || v > 86400 * 366 || optarg[0] == '-')
				return bt_cmd_usage_error(CMD, "--round-interval: '%s' is not a number of seconds "
							  "from 1 to 31622400", optarg);
			a->in.round_interval_s = (uint32_t)v;
			break;
		default: return bt_cmd_usage_error(CMD, "%s", why);
		}
	}
	if (a->out == NULL)
		return bt_cmd_usage_error(CMD, "no output file (-o OUT)");
	if (strcmp(a->out, "-") == 0)
		return bt_cmd_usage_error(CMD, "-o -: the output is replaced atomically, so it is a file: name one");
	if (optind >= argc)
		return bt_cmd_usage_error(CMD, "no input file");
	size_t n = strlen(a->out);
	if (!to_set)
		a->warts = n > 6 && strcmp(a->out + n - 6, ".warts") == 0;
	a->inputs = argv + optind;
	a->ninputs = argc - optind;
	return -1;
}

/* What the sources read and did not map, by kind (the backend's phrase,
 * copied: it may live in a buffer of the backend's own). */
struct skips {
	bt_pipeline_skip k[32];
	size_t n;
	bool all;
};

static void on_skip(void *ctx, const char *where, const char *what)
{
	struct skips *s = ctx;
	size_t i = 0;
	while (i < s->n && strcmp(s->k[i].what, what) != 0)
		i++;
	if (i == s->n) {
		if (s->n == sizeof(s->k) / sizeof(s->k[0]))
			i--; /* phrases are fixed per kind: never this many */
		else {
			char *w = strdup(what);
			if (w == NULL)
				return; /* out of memory: the count is lost, not the run */
			s->k[s->n++] = (bt_pipeline_skip){ .what = w };
		}
	}
	bt_pipeline_skip *k = &s->k[i];
	k->count++;
	if (k->nplaces >= PLACES && !s->all)
		return;
	char **p = realloc(k->places, (k->nplaces + 1) * sizeof(*p));
	if (p != NULL && (p[k->nplaces] = strdup(where)) != NULL)
		k->nplaces++;
	if (p != NULL)
		k->places = p;
}

static void skips_print_free(struct skips *s)
{
	for (size_t i = 0; i < s->n; i++) {
		bt_pipeline_skip *k = &s->k[i];
		bt_cmd_print_skip(CMD, k);
		for (size_t j = 0; j < k->nplaces; j++)
			free(k->places[j]);
		free(k->places);
		free(k->what);
	}
}

/* The output: a temporary file beside OUT, JSON Lines or warts. */
typedef struct sink {
	char *tmp;
	FILE *f;               /* jsonl */
	bt_warts_writer *w;    /* warts */
	char *buf;
	size_t cap;
} sink;

static int sink_open(sink *o, const conv_args *a, char *err, size_t errlen)
{
	char *d = strdup(a->out), *b = strdup(a->out);
	size_t n = strlen(a->out) + 32;
	o->tmp = malloc(n);
	int fd = -1;
	if (d != NULL && b != NULL && o->tmp != NULL) {
		snprintf(o->tmp, n, "%s/.%s.tmp.XXXXXX", dirname(d), basename(b));
		fd = mkstemp(o->tmp);
		if (fd < 0)
			snprintf(err, errlen, "%s: cannot create a file there: %s", a->out, strerror(errno));
	} else {
		snprintf(err, errlen, "out of memory");
	}
	free(d);
	free(b);
	if (fd < 0) {
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	fchmod(fd, 0644);
	if (a->warts) {
		o->w = bt_warts_writer_open(fd, a->out, err, errlen);
		return o->w ? 0 : -1;
	}
	if ((o->f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", a->out, strerror(errno));
		close(fd);
		return -1;
	}
	return 0;
}

static int sink_put(sink *o, const char *out, const bt_trace *t, char *err, size_t errlen)
{
	if (o->w != NULL)
		return bt_warts_writer_put(o->w, t, err, errlen);
	if (bt_trace_write_buf(o->f, t, &o->buf, &o->cap) != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", out, strerror(errno));
		return -1;
	}
	return 0;
}

/* Finishes (ok) or drops the output; 0 or -1 with a message. */
static int sink_close(sink *o, const char *out, bool ok, char *err, size_t errlen)
{
	int rc = ok ? 0 : -1;
	if (o->w != NULL) {
		if (ok)
			rc = bt_warts_writer_close(o->w, err, errlen);
		else
			bt_warts_writer_abort(o->w);
	} else if (o->f != NULL) {
		if (ok && (fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0)) {
			snprintf(err, errlen, "%s: cannot write: %s", out, strerror(errno));
			rc = -1;
		}
		if (fclose(o->f) != 0 && rc == 0) {
			snprintf(err, errlen, "%s: cannot write: %s", out, strerror(errno));
			rc = -1;
		}
	}
	if (o->tmp != NULL && rc == 0 && rename(o->tmp, out) != 0) {
		snprintf(err, errlen, "%s: cannot replace it: %s", out, strerror(errno));
		rc = -1;
	}
	if (o->tmp != NULL && rc != 0)
		unlink(o->tmp);
	free(o->tmp);
	free(o->buf);
	return rc;
}

/* Every trace of one input into the sink; 0 or -1 with a message. */
static int copy_input(const conv_args *a, const char *path, sink *o, unsigned long long *n,
		      char *err, size_t errlen)
{
	bt_input *in = bt_input_open(path, &a->in, err, errlen);
	if (in == NULL)
		return -1;
	bt_trace *t;
	int rc;
	while ((rc = bt_input_next(in, &t, err, errlen)) == 1) {
		char msg[1024], where[512];
		if (sink_put(o, a->out, t, msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "%s: %s", bt_input_where(in, where, sizeof(where)), msg);
			rc = -1;
		}
		bt_trace_free(t);
		if (rc < 0)
			break;
		(*n)++;
	}
	bt_input_close(in);
	return rc;
}

int bt_cmd_convert(int argc, char **argv)
{
	conv_args a = { 0 };
	struct skips sk = { 0 };
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	sk.all = a.in.verbose;
	a.in.skipped = on_skip;
	a.in.skipped_ctx = &sk;
	char err[2048];
	sink o = { 0 };
	unsigned long long n = 0;
	bool ok = sink_open(&o, &a, err, sizeof(err)) == 0;
	for (int i = 0; ok && i < a.ninputs; i++)
		ok = copy_input(&a, a.inputs[i], &o, &n, err, sizeof(err)) == 0;
	if (sink_close(&o, a.out, ok, err, sizeof(err)) != 0) {
		fprintf(stderr, "bordertrace " CMD ": %s\n", err);
		fprintf(stderr, "bordertrace " CMD ": nothing written to %s\n", a.out);
		rc = BT_EXIT_DATA;
	} else {
		fprintf(stderr, "bordertrace " CMD ": %llu trace(s) written to %s as %s\n", n, a.out,
			a.warts ? "warts" : "jsonl");
		rc = BT_EXIT_OK;
	}
	skips_print_free(&sk);
	return rc;
}
