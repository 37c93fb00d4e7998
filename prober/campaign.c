/* bordertrace — campaign files (see include/bordertrace/campaign.h and
 * doc/campaign.md). libconfig does the parsing; this file only checks what
 * the settings mean, and says where a bad one is. */
#include "bordertrace/campaign.h"

#include <errno.h>
#include <libconfig.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "bordertrace/id.h"
#include "bordertrace/probe.h"
#include "bordertrace/textfile.h"
#include "bordertrace/show.h"
#include "cfgint.h"

void bt_campaign_init(bt_campaign *c)
{
	memset(c, 0, sizeof(*c));
	bt_engine_opts_default(&c->eng);
	c->progress_s = 60;
	c->v6_max_per_prefix = BT_EXPAND_V6_MAX_PER_PREFIX;
}

void bt_campaign_free(bt_campaign *c)
{
	for (size_t i = 0; i < c->ntarget_files; i++)
		free(c->target_files[i]);
	for (size_t i = 0; i < c->nexclude_files; i++)
		free(c->exclude_files[i]);
	free(c->device);
	free(c->output);
	bt_campaign_init(c);
}

typedef struct ctx {
	const char *name;
	const char *basedir;
	char *err;
	size_t errlen;
} ctx;

/* "file:line: field 'x': message" for a setting (its own file when it came
 * from an @include). */
static int fail(const ctx *c, const config_setting_t *s, const char *field, const char *fmt, ...)
{
	char msg[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	const char *file = s && config_setting_source_file(s) ? config_setting_source_file(s) : c->name;
	unsigned line = s ? config_setting_source_line(s) : 0;
	if (line)
		snprintf(c->err, c->errlen, "%s:%u: field '%s': %s", file, line, field, msg);
	else
		snprintf(c->err, c->errlen, "%s: field '%s': %s", file, field, msg);
	return -1;
}

static const char *type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP: return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a number with a fraction";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_ARRAY: return "an array";
	case CONFIG_TYPE_LIST: return "a list";
	default: return "nothing";
	}
}

static int get_int(const ctx *c, const config_setting_t *grp, const char *key, const char *field,
		   long long min, long long max, bool required, long long *out)
{
	config_setting_t *s = config_setting_get_member(grp, key);
	if (s == NULL) {
		if (required)
			return fail(c, grp, field, "missing (required)");
		return 0;
	}
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
		return fail(c, s, field, "expected an integer %lld..%lld, got %s", min, max, type_name(s));
	long long v = config_setting_get_int64(s);
	if (v < min || v > max)
		return fail(c, s, field, "expected an integer %lld..%lld, got %lld", min, max, v);
	*out = v;
	return 1;
}

static int get_num(const ctx *c, const config_setting_t *grp, const char *key, const char *field,
		   double min, double max, double *out)
{
	config_setting_t *s = config_setting_get_member(grp, key);
	if (s == NULL)
		return 0;
	int t = config_setting_type(s);
	double v;
	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else if (t == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else
		return fail(c, s, field, "expected a number %g..%g, got %s", min, max, type_name(s));
	if (!(v >= min && v <= max))
		return fail(c, s, field, "expected a number %g..%g, got %g", min, max, v);
	*out = v;
	return 1;
}

static int get_str(const ctx *c, const config_setting_t *grp, const char *key, const char *field,
		   bool required, const char **out)
{
	config_setting_t *s = config_setting_get_member(grp, key);
	if (s == NULL) {
		if (required)
			return fail(c, grp, field, "missing (required)");
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fail(c, s, field, "expected a string, got %s", type_name(s));
	*out = config_setting_get_string(s);
	return 1;
}

static int get_id(const ctx *c, const config_setting_t *grp, const char *key, bool required, char *dst)
{
	char sh[BT_SHOW_BUF];
	const char *v;
	int rc = get_str(c, grp, key, key, required, &v);
	if (rc <= 0)
		return rc;
	/* the one id rule (bordertrace/id.h): ids go into records, paths, CSV */
	const char *why = bt_id_problem(v);
	if (why != NULL)
		return fail(c, config_setting_get_member(grp, key), key, "'%s' %s; an id is %s",
			    bt_show_str(sh, sizeof(sh), v), why, BT_ID_RULE);
	snprintf(dst, BT_ID_MAX, "%s", v);
	return 1;
}

static char *resolve(const ctx *c, const char *p)
{
	char *out;
	if (p[0] == '/' || c->basedir == NULL || c->basedir[0] == '\0')
		return strdup(p);
	if (asprintf(&out, "%s/%s", c->basedir, p) < 0)
		return NULL;
	return out;
}

/* A string or a list/array of strings: file names. */
static int get_paths(const ctx *c, const config_setting_t *grp, const char *key, bool required,
		     char **dst, size_t *n)
{
	config_setting_t *s = config_setting_get_member(grp, key);
	if (s == NULL)
		return required ? fail(c, grp, key, "missing (required)") : 0;
	int t = config_setting_type(s);
	int count = t == CONFIG_TYPE_STRING ? 1 : config_setting_length(s);
	if (t != CONFIG_TYPE_STRING && t != CONFIG_TYPE_LIST && t != CONFIG_TYPE_ARRAY)
		return fail(c, s, key, "expected a file name or a list of them, got %s", type_name(s));
	if (count > BT_CAMPAIGN_MAX_LISTS)
		return fail(c, s, key, "at most %d files", BT_CAMPAIGN_MAX_LISTS);
	if (count == 0 && required)
		return fail(c, s, key, "the list is empty");
	for (int i = 0; i < count; i++) {
		config_setting_t *e = t == CONFIG_TYPE_STRING ? s : config_setting_get_elem(s, (unsigned)i);
		char field[64];
		snprintf(field, sizeof(field), t == CONFIG_TYPE_STRING ? "%s" : "%s[%d]", key, i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return fail(c, e, field, "expected a file name (string), got %s", type_name(e));
		const char *v = config_setting_get_string(e);
		if (*v == '\0')
			return fail(c, e, field, "empty file name");
		if ((dst[i] = resolve(c, v)) == NULL)
			return fail(c, e, field, "out of memory");
		(*n)++;
	}
	return 1;
}

/* Every key must be known: a misspelt option must not be silently ignored. */
static int check_keys(const ctx *c, const config_setting_t *grp, const char *prefix,
		      const char *const *known)
{
	int n = config_setting_length(grp);
	for (int i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
		const char *k = config_setting_name(s);
		bool ok = false;
		for (const char *const *p = known; *p && !ok; p++)
			ok = strcmp(*p, k) == 0;
		if (!ok) {
			char field[96];
			snprintf(field, sizeof(field), "%s%s", prefix, k);
			return fail(c, s, field, "unknown setting (see doc/campaign.md)");
		}
	}
	return 0;
}

static const char *const root_keys[] = {
	"name", "vp", "targets", "exclude", "lab", "prefix_seed", "v6_max_per_prefix", "method", "flow", "flows",
	"first_ttl", "split_ttl", "max_ttl", "attempts", "wait", "gap_limit", "window", "active",
	"rate", "order", "rate_limits", "send_path", "dport", "source", "interface", "schedule", "output", "progress",
	"multipath", "confidence", "min_share", NULL,
};
static const char *const sched_keys[] = { "interval", "jitter", "rounds", NULL };

/* A bool setting into *out when present: 0, or -1 (not a bool). */
static int get_bool(const ctx *c, const config_setting_t *root, const char *key, bool *out)
{
	config_setting_t *x = config_setting_get_member(root, key);
	if (x == NULL)
		return 0;
	if (config_setting_type(x) != CONFIG_TYPE_BOOL)
		return fail(c, x, key, "expected true or false, got %s", type_name(x));
	*out = config_setting_get_bool(x) != 0;
	return 0;
}

/* What is probed: ids, lists, the lab switch, the /24 rule's seed, method. */
static int parse_what(bt_campaign *cp, const ctx *c, const config_setting_t *root)
{
	long long v;
	const char *s;
	char sh[BT_SHOW_BUF];
	int rc;

	if (get_id(c, root, "name", true, cp->name) < 0 || get_id(c, root, "vp", false, cp->vp) < 0)
		return -1;
	if (get_paths(c, root, "targets", true, cp->target_files, &cp->ntarget_files) < 0 ||
	    get_paths(c, root, "exclude", false, cp->exclude_files, &cp->nexclude_files) < 0)
		return -1;
	if (get_bool(c, root, "lab", &cp->lab) < 0 || get_bool(c, root, "multipath", &cp->eng.multipath) < 0)
		return -1;
	if ((rc = get_int(c, root, "prefix_seed", "prefix_seed", 0, UINT32_MAX, false, &v)) < 0)
		return -1;
	if (rc)
		cp->prefix_seed = (uint32_t)v;
	if ((rc = get_int(c, root, "v6_max_per_prefix", "v6_max_per_prefix", 1, BT_EXPAND_MAX_TARGETS,
			  false, &v)) < 0)
		return -1;
	if (rc)
		cp->v6_max_per_prefix = (uint32_t)v;
	if ((rc = get_str(c, root, "method", "method", false, &s)) < 0)
		return -1;
	if (rc && bt_method_parse(s, &cp->eng.method) != 0)
		return fail(c, config_setting_get_member(root, "method"), "method",
			    "'%s' is not one of icmp-paris, udp-paris, tcp-syn", bt_show_str(sh, sizeof(sh), s));
	if ((rc = get_str(c, root, "order", "order", false, &s)) < 0)
		return -1;
	if (rc && bt_order_parse(s, &cp->eng.order) != 0)
		return fail(c, config_setting_get_member(root, "order"), "order",
			    "'%s' is not one of spread, sweep", bt_show_str(sh, sizeof(sh), s));
	if ((rc = get_str(c, root, "rate_limits", "rate_limits", false, &s)) < 0)
		return -1;
	if (rc && bt_rate_limits_parse(s, &cp->eng.ignore_rate_limits) != 0)
		return fail(c, config_setting_get_member(root, "rate_limits"), "rate_limits",
			    "'%s' is not one of learn, ignore", bt_show_str(sh, sizeof(sh), s));
	if ((rc = get_str(c, root, "send_path", "send_path", false, &s)) < 0)
		return -1;
	if (rc && bt_send_path_parse(s, &cp->eng.send_path) != 0)
		return fail(c, config_setting_get_member(root, "send_path"), "send_path",
			    "'%s' is not one of raw, packet", bt_show_str(sh, sizeof(sh), s));
	return 0;
}

/* How: the engine's numbers, each range-checked, then checked together. */
static int parse_how(bt_campaign *cp, const ctx *c, const config_setting_t *root)
{
	long long v;
	double d;
	int rc;
	bt_engine_opts *o = &cp->eng;

#define INT_OPT(key, min, max, dst)                                                     \
	do {                                                                           \
		if ((rc = get_int(c, root, key, key, min, max, false, &v)) < 0)        \
			return -1;                                                     \
		if (rc)                                                                \
			dst = (__typeof__(dst))v;                                      \
	} while (0)
	INT_OPT("flow", 0, BT_PROBE_MAX_FLOW, o->flow);
	INT_OPT("flows", 1, BT_PROBE_MAX_FLOW + 1, o->nflows);
	INT_OPT("first_ttl", 1, 255, o->first_ttl);
	INT_OPT("split_ttl", 0, 255, o->split_ttl);
	INT_OPT("max_ttl", 1, 255, o->max_ttl);
	INT_OPT("attempts", 1, BT_PROBE_MAX_ATTEMPTS, o->attempts);
	INT_OPT("gap_limit", 1, 255, o->gap_limit);
	INT_OPT("window", 1, 255, o->window);
	INT_OPT("active", 0, 10000000, o->active);
	INT_OPT("rate", 1, 10000000, o->rate_pps);
	INT_OPT("dport", 1, 65535, o->dport);
	INT_OPT("progress", 1, 86400, cp->progress_s);
	INT_OPT("confidence", 50, 99, o->confidence);
	INT_OPT("min_share", 0, 50, o->min_share);
#undef INT_OPT
	if ((rc = get_num(c, root, "wait", "wait", 0.001, 60.0, &d)) < 0)
		return -1;
	if (rc)
		o->wait_us = (uint32_t)(d * 1e6 + 0.5);

	if (o->flow + o->nflows - 1 > BT_PROBE_MAX_FLOW)
		return fail(c, config_setting_get_member(root, "flows"), "flows",
			    "flow + flows must stay within 0..%d", BT_PROBE_MAX_FLOW);
	if (o->multipath && (o->nflows != 1 || o->split_ttl != 0))
		return fail(c, config_setting_get_member(root, o->nflows != 1 ? "flows" : "split_ttl"),
			    o->nflows != 1 ? "flows" : "split_ttl",
			    "multipath chooses its flows itself: leave flows at 1 and split_ttl at 0");
	if (o->multipath && o->flow + BT_MDA_FLOWS - 1 > BT_PROBE_MAX_FLOW)
		return fail(c, config_setting_get_member(root, "flow"), "flow",
			    "multipath: flow + %d must stay within 0..%d", BT_MDA_FLOWS - 1, BT_PROBE_MAX_FLOW);
	if (o->first_ttl > o->max_ttl)
		return fail(c, config_setting_get_member(root, "first_ttl"), "first_ttl",
			    "%u is above max_ttl %u", o->first_ttl, o->max_ttl);
	if (o->split_ttl != 0 && (o->split_ttl < o->first_ttl || o->split_ttl > o->max_ttl))
		return fail(c, config_setting_get_member(root, "split_ttl"), "split_ttl",
			    "%u must lie between first_ttl %u and max_ttl %u (or be 0: off)",
			    o->split_ttl, o->first_ttl, o->max_ttl);
	return 0;
}

/* source: one address, or a list of at most one per family; each is the
 * source of its family, a family without one takes the route's. */
static int parse_source(bt_campaign *cp, const ctx *c, const config_setting_t *root)
{
	config_setting_t *s = config_setting_get_member(root, "source");
	char sh[BT_SHOW_BUF];
	if (s == NULL)
		return 0;
	int type = config_setting_type(s);
	bool one = type == CONFIG_TYPE_STRING;
	int n = one ? 1 : type == CONFIG_TYPE_ARRAY || type == CONFIG_TYPE_LIST ? config_setting_length(s) : -1;
	if (n < 1 || n > 2)
		return fail(c, s, "source", "expected an address, or a list of one per family");
	for (int i = 0; i < n; i++) {
		config_setting_t *x = one ? s : config_setting_get_elem(s, (unsigned)i);
		const char *v = config_setting_type(x) == CONFIG_TYPE_STRING ? config_setting_get_string(x) : NULL;
		bt_addr a;
		if (v == NULL || bt_addr_parse(v, &a) != 0)
			return fail(c, s, "source", "'%s' is not an IPv4 or IPv6 address",
				    v ? bt_show_str(sh, sizeof(sh), v) : "(not a string)");
		bt_addr *slot = a.family == AF_INET6 ? &cp->eng.src6 : &cp->eng.src;
		if (bt_addr_is_set(slot))
			return fail(c, s, "source", "two %s addresses ('%s' is the second): one per family",
				    a.family == AF_INET6 ? "IPv6" : "IPv4", bt_show_str(sh, sizeof(sh), v));
		*slot = a;
	}
	return 0;
}

/* Where from and where to: source addresses, interface, output directory. */
static int parse_where(bt_campaign *cp, const ctx *c, const config_setting_t *root)
{
	char sh[BT_SHOW_BUF];
	const char *s;
	int rc;

	if (parse_source(cp, c, root) != 0)
		return -1;
	if ((rc = get_str(c, root, "interface", "interface", false, &s)) < 0)
		return -1;
	if (rc) {
		if (*s == '\0' || strlen(s) >= 16 || strchr(s, '/'))
			return fail(c, config_setting_get_member(root, "interface"), "interface",
				    "'%s' is not an interface name", bt_show_str(sh, sizeof(sh), s));
		cp->device = strdup(s);
	}

	if ((rc = get_str(c, root, "output", "output", true, &s)) < 0)
		return -1;
	config_setting_t *at = config_setting_get_member(root, "output");
	if (*s == '\0')
		return fail(c, at, "output", "empty directory name");
	if ((cp->output = resolve(c, s)) == NULL)
		return fail(c, at, "output", "out of memory");
	return 0;
}

/* When: schedule = { interval; jitter; rounds; }. */
static int parse_schedule(bt_campaign *cp, const ctx *c, const config_setting_t *root)
{
	long long v;
	double d;
	int rc;

	config_setting_t *sch = config_setting_get_member(root, "schedule");
	if (sch == NULL)
		return fail(c, root, "schedule", "missing (required): schedule = { interval = SECONDS; ... }");
	if (config_setting_type(sch) != CONFIG_TYPE_GROUP)
		return fail(c, sch, "schedule", "expected a group { interval = ...; }, got %s", type_name(sch));
	if (check_keys(c, sch, "schedule.", sched_keys) != 0)
		return -1;
	if (get_int(c, sch, "interval", "schedule.interval", 1, BT_CAMPAIGN_MAX_INTERVAL, true, &v) < 0)
		return -1;
	cp->interval_s = (uint32_t)v;
	if ((rc = get_num(c, sch, "jitter", "schedule.jitter", 0, BT_CAMPAIGN_MAX_INTERVAL, &d)) < 0)
		return -1;
	if (rc) {
		if (d >= cp->interval_s)
			return fail(c, config_setting_get_member(sch, "jitter"), "schedule.jitter",
				    "%g s must be shorter than the interval (%u s)", d, cp->interval_s);
		cp->jitter_ms = (uint32_t)(d * 1000 + 0.5);
	}
	if ((rc = get_int(c, sch, "rounds", "schedule.rounds", 0, UINT32_MAX, false, &v)) < 0)
		return -1;
	if (rc)
		cp->rounds = (uint32_t)v;
	return 0;
}

/* The settings in the order their errors are reported. */
static int parse_root(bt_campaign *cp, const ctx *c, const config_setting_t *root)
{
	if (check_keys(c, root, "", root_keys) != 0)
		return -1;
	if (parse_what(cp, c, root) < 0 || parse_how(cp, c, root) < 0 ||
	    parse_where(cp, c, root) < 0 || parse_schedule(cp, c, root) < 0)
		return -1;
	return 0;
}

int bt_campaign_parse(bt_campaign *cp, const char *buf, size_t len, const char *name,
		      const char *basedir, char *err, size_t errlen)
{
	bt_campaign_init(cp);
	ctx c = { .name = name, .basedir = basedir, .err = err, .errlen = errlen };
	if (len > BT_CAMPAIGN_MAX_BYTES) {
		snprintf(err, errlen, "%s: %zu bytes: a campaign file is at most %u bytes", name, len,
			 BT_CAMPAIGN_MAX_BYTES);
		return -1;
	}
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte: not a text file", name);
		return -1;
	}
	char *text = bt_cfgint_widen(buf, len, name, err, errlen);
	if (text == NULL)
		return -1;

	config_t cfg;
	config_init(&cfg);
	if (basedir)
		config_set_include_dir(&cfg, basedir);
	int rc = -1;
	if (config_read_string(&cfg, text) != CONFIG_TRUE) {
		const char *f = config_error_file(&cfg) ? config_error_file(&cfg) : name;
		snprintf(err, errlen, "%s:%d: %s", f, config_error_line(&cfg), config_error_text(&cfg));
	} else {
		rc = parse_root(cp, &c, config_root_setting(&cfg));
	}
	config_destroy(&cfg);
	free(text);
	if (rc != 0) {
		bt_campaign_free(cp);
		return -1;
	}
	cp->eng.vp = cp->vp[0] ? cp->vp : NULL;
	cp->eng.campaign = cp->name;
	cp->eng.device = cp->device;
	return 0;
}

/* Before reading: a device (/dev/zero) or a regular file past the cap is
 * refused unread; a pipe or a gzip file is checked by its length once read. */
static int check_size(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return 0; /* the reader says why */
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file (a %s device): a campaign is read from a file",
			 path, S_ISCHR(st.st_mode) ? "character" : "block");
		return -1;
	}
	if (S_ISREG(st.st_mode) && st.st_size > (off_t)BT_CAMPAIGN_MAX_BYTES) {
		snprintf(err, errlen, "%s: %lld bytes: a campaign file is at most %u bytes", path,
			 (long long)st.st_size, BT_CAMPAIGN_MAX_BYTES);
		return -1;
	}
	return 0;
}

int bt_campaign_load(bt_campaign *c, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	bt_campaign_init(c);
	if (check_size(path, err, errlen) != 0 || bt_textfile_read(path, &buf, &len, err, errlen) != 0)
		return -1;
	char *copy = strdup(path);
	int rc = -1;
	if (copy == NULL)
		snprintf(err, errlen, "%s: out of memory", path);
	else
		rc = bt_campaign_parse(c, buf, len, path, dirname(copy), err, errlen);
	free(copy);
	free(buf);
	return rc;
}

int bt_campaign_targets(const bt_campaign *c, bt_targets *out, bt_filter_stats *st,
			char *err, size_t errlen)
{
	return bt_campaign_targets_counted(c, out, st, NULL, err, errlen);
}

int bt_campaign_targets_counted(const bt_campaign *c, bt_targets *out, bt_filter_stats *st,
				bt_campaign_list_counts *lists, char *err, size_t errlen)
{
	bt_exclude x;
	bt_exclude_init(&x);
	char *buf;
	size_t len;
	int rc = 0;
	if (lists != NULL)
		memset(lists, 0, sizeof(*lists));
	for (size_t i = 0; rc == 0 && i < c->nexclude_files; i++) {
		if ((rc = bt_textfile_read(c->exclude_files[i], &buf, &len, err, errlen)) == 0) {
			rc = bt_exclude_parse(&x, buf, len, c->exclude_files[i], err, errlen);
			free(buf);
		}
	}
	for (size_t i = 0; rc == 0 && i < c->ntarget_files; i++) {
		size_t from = out->n;
		if ((rc = bt_textfile_read(c->target_files[i], &buf, &len, err, errlen)) == 0) {
			rc = bt_expand_parse_capped(out, buf, len, c->target_files[i], c->prefix_seed,
						    c->v6_max_per_prefix, err, errlen);
			free(buf);
		}
		for (size_t j = from; lists != NULL && j < out->n; j++) {
			lists->v4[i] += out->a[j].family == AF_INET;
			lists->v6[i] += out->a[j].family == AF_INET6;
		}
	}
	if (rc == 0) {
		bt_exclude_finish(&x);
		bt_expand_filter(out, &x, c->lab, st);
	}
	bt_exclude_free(&x);
	return rc;
}

uint64_t bt_campaign_round_probes_max(const bt_campaign *c, size_t ntargets)
{
	const bt_engine_opts *o = &c->eng;
	uint64_t ttls = o->max_ttl >= o->first_ttl ? (uint64_t)(o->max_ttl - o->first_ttl + 1) : 0;
	return (uint64_t)ntargets * (o->multipath ? BT_MDA_FLOWS : o->nflows) * ttls * o->attempts;
}
