/* Unit tests: campaign files (libconfig) with their errors, the /24 and
 * /48 expansion rules, exclusion lists and the special-purpose filter, for
 * IPv4, IPv6 and lists mixing both. The addresses outside the test ranges
 * (8.8.8.8, 10.1.2.3, 2606:4700::1, ...) are data only: they show that the
 * filter drops them; nothing here opens a socket or sends a packet. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bordertrace/campaign.h"
#include "bordertrace/expand.h"

static const char *good =
	"# a lab campaign\n"
	"name = \"nk-border\";\n"
	"vp = \"vp-01\";\n"
	"targets = [ \"t1.txt\", \"/abs/t2.txt\" ];\n"
	"exclude = \"optout.txt\";\n"
	"lab = true;\n"
	"method = \"udp-paris\";\n"
	"flows = 4;\n"
	"max_ttl = 20;\n"
	"attempts = 3;\n"
	"wait = 0.25;\n"
	"gap_limit = 4;\n"
	"rate = 5000;\n"
	"split_ttl = 6;\n"
	"order = \"sweep\";\n"
	"rate_limits = \"ignore\";\n"
	"send_path = \"packet\";\n"
	"v6_max_per_prefix = 256;\n"
	"schedule = { interval = 3600; jitter = 30.5; rounds = 24; };\n"
	"output = \"rounds\";\n";

static void test_parse_good(void **state)
{
	(void)state;
	bt_campaign c;
	char err[512] = "";
	int rc = bt_campaign_parse(&c, good, strlen(good), "lab.campaign", "/etc/bt", err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_string_equal(c.name, "nk-border");
	assert_string_equal(c.vp, "vp-01");
	assert_int_equal(c.ntarget_files, 2);
	assert_string_equal(c.target_files[0], "/etc/bt/t1.txt");
	assert_string_equal(c.target_files[1], "/abs/t2.txt");
	assert_int_equal(c.nexclude_files, 1);
	assert_string_equal(c.exclude_files[0], "/etc/bt/optout.txt");
	assert_true(c.lab);
	assert_int_equal(c.eng.method, BT_METHOD_UDP_PARIS);
	assert_int_equal(c.eng.nflows, 4);
	assert_int_equal(c.eng.max_ttl, 20);
	assert_int_equal(c.eng.attempts, 3);
	assert_int_equal(c.eng.wait_us, 250000);
	assert_int_equal(c.eng.gap_limit, 4);
	assert_int_equal(c.eng.rate_pps, 5000);
	assert_int_equal(c.eng.split_ttl, 6);
	assert_int_equal(c.eng.order, BT_ORDER_SWEEP);
	assert_true(c.eng.ignore_rate_limits);
	assert_int_equal(c.eng.send_path, BT_SEND_PACKET);
	assert_int_equal(c.v6_max_per_prefix, 256);
	assert_int_equal(c.interval_s, 3600);
	assert_int_equal(c.jitter_ms, 30500);
	assert_int_equal(c.rounds, 24);
	assert_string_equal(c.output, "/etc/bt/rounds");
	assert_string_equal(c.eng.campaign, "nk-border");
	assert_string_equal(c.eng.vp, "vp-01");
	/* the worst case of a round: 10 targets x 4 flows x 20 TTLs x 3 attempts */
	assert_int_equal(bt_campaign_round_probes_max(&c, 10), 2400);
	bt_campaign_free(&c);

	/* the minimum, with defaults */
	const char *min = "name=\"x\"; targets=\"t\"; output=\"/o\"; schedule={interval=60;};";
	assert_int_equal(bt_campaign_parse(&c, min, strlen(min), "m", NULL, err, sizeof(err)), 0);
	assert_int_equal(c.eng.method, BT_METHOD_ICMP_PARIS);
	assert_int_equal(c.eng.order, BT_ORDER_SPREAD);
	assert_false(c.eng.ignore_rate_limits);
	assert_int_equal(c.eng.send_path, BT_SEND_RAW);
	assert_int_equal(c.eng.max_ttl, 32);
	assert_int_equal(c.eng.wait_us, 1000000);
	assert_int_equal(c.rounds, 0);
	assert_false(c.lab);
	assert_int_equal(c.v6_max_per_prefix, 65536);
	assert_null(c.eng.vp);
	assert_string_equal(c.target_files[0], "t");
	assert_false(bt_addr_is_set(&c.eng.src));
	bt_campaign_free(&c);

	/* one source per family */
	const char *two = "name=\"x\"; targets=\"t\"; output=\"/o\"; schedule={interval=60;};"
			  "source=[\"2001:db8::2\", \"198.18.0.2\"];";
	assert_int_equal(bt_campaign_parse(&c, two, strlen(two), "m", NULL, err, sizeof(err)), 0);
	assert_int_equal(c.eng.src.family, AF_INET);
	assert_int_equal(c.eng.src6.family, AF_INET6);
	bt_campaign_free(&c);

	/* multipath: its switch and numbers; off, with 95% and 25%, by default */
	assert_int_equal(bt_campaign_parse(&c, min, strlen(min), "m", NULL, err, sizeof(err)), 0);
	assert_false(c.eng.multipath);
	assert_int_equal(c.eng.confidence, 95);
	assert_int_equal(c.eng.min_share, 25);
	bt_campaign_free(&c);
	const char *mp = "name=\"x\"; targets=\"t\"; output=\"/o\"; schedule={interval=60;};"
			 "multipath=true; confidence=99; min_share=30; max_ttl=20; attempts=1;";
	assert_int_equal(bt_campaign_parse(&c, mp, strlen(mp), "m", NULL, err, sizeof(err)), 0);
	assert_true(c.eng.multipath);
	assert_int_equal(c.eng.confidence, 99);
	assert_int_equal(c.eng.min_share, 30);
	/* the worst case: every flow multipath may use at every TTL */
	assert_int_equal(bt_campaign_round_probes_max(&c, 10), 10 * BT_MDA_FLOWS * 20);
	bt_campaign_free(&c);
}

static void test_parse_errors(void **state)
{
	(void)state;
	const char *base = "name=\"x\"; targets=\"t\"; output=\"/o\";";
	const struct { const char *txt; const char *want; } cases[] = {
		{ "name=\"x\";\ntargets=\"t\";\nrate = = 3;\n", "f.campaign:3: syntax error" },
		{ "name=\"x\";\ntargets=\"t\"; output=\"/o\"; schedule={interval=1;};\ntargets=\"u\";\n", "f.campaign:3: duplicate setting" },
		{ "%s\n\nschedule={interval=60;};\nratee=10;\n", "f.campaign:4: field 'ratee': unknown setting" },
		{ "%s\nschedule={interval=60;};\nrate=\"fast\";\n", "f.campaign:3: field 'rate': expected an integer 1..10000000, got a string" },
		{ "%s\nschedule={interval=60;};\nrate=0;\n", "f.campaign:3: field 'rate': expected an integer 1..10000000, got 0" },
		{ "%s\nschedule={interval=60;};\nmax_ttl=256;\n", "f.campaign:3: field 'max_ttl'" },
		{ "%s\nschedule={interval=60;};\nwait=0.0;\n", "f.campaign:3: field 'wait'" },
		{ "%s\nschedule={interval=60;};\nmethod=\"icmp\";\n", "f.campaign:3: field 'method': 'icmp' is not one of" },
		{ "%s\nschedule={interval=60;};\norder=\"random\";\n", "f.campaign:3: field 'order': 'random' is not one of spread, sweep" },
		{ "%s\nschedule={interval=60;};\nrate_limits=\"maybe\";\n", "f.campaign:3: field 'rate_limits': 'maybe' is not one of learn, ignore" },
		{ "%s\nschedule={interval=60;};\nsend_path=\"fast\";\n", "f.campaign:3: field 'send_path': 'fast' is not one of raw, packet" },
		{ "%s\nschedule={interval=60;\n jitter=60;};\n", "f.campaign:3: field 'schedule.jitter'" },
		{ "%s\nschedule={interval=60; every=2;};\n", "f.campaign:2: field 'schedule.every': unknown" },
		{ "%s\nschedule={jitter=1;};\n", "f.campaign:2: field 'schedule.interval': missing" },
		{ "%s\n", "field 'schedule': missing" },
		{ "name=\"a/b\"; targets=\"t\"; output=\"/o\"; schedule={interval=1;};", "f.campaign:1: field 'name'" },
		{ "name=\".x\"; targets=\"t\"; output=\"/o\"; schedule={interval=1;};", "f.campaign:1: field 'name'" },
		/* the one id rule (id.h): the reason, then the rule in words */
		{ "name=\"=cmd\"; targets=\"t\"; output=\"/o\"; schedule={interval=1;};",
		  "f.campaign:1: field 'name': '=cmd' starts with a formula character ('=', '+', '-' or '@'); an id is 1..63 printable" },
		{ "name=\"x\"; vp=\"a b\"; targets=\"t\"; output=\"/o\"; schedule={interval=1;};",
		  "f.campaign:1: field 'vp': 'a b' contains a space" },
		{ "name=\"x\"; output=\"/o\"; schedule={interval=1;};", "field 'targets': missing" },
		{ "name=\"x\"; targets=(\"a\",\n 3); output=\"/o\"; schedule={interval=1;};", "f.campaign:2: field 'targets[1]'" },
		{ "name=\"x\"; targets=(); output=\"/o\"; schedule={interval=1;};", "field 'targets': the list is empty" },
		{ "%s\nschedule={interval=60;};\nsplit_ttl=40;\n", "f.campaign:3: field 'split_ttl'" },
		{ "%s\nschedule={interval=60;};\nfirst_ttl=9;\nmax_ttl=8;\n", "field 'first_ttl': 9 is above max_ttl 8" },
		{ "%s\nschedule={interval=60;};\nsource=\"2001:db8::1/64\";\n", "f.campaign:3: field 'source'" },
		{ "%s\nschedule={interval=60;};\nsource=[\"198.18.0.1\", \"198.18.0.2\"];\n", "f.campaign:3: field 'source': two IPv4 addresses" },
		{ "%s\nschedule={interval=60;};\nsource=[];\n", "f.campaign:3: field 'source': expected an address" },
		{ "%s\nschedule={interval=60;};\nsource=[\"198.18.0.1\", \"2001:db8::1\", \"::2\"];\n", "f.campaign:3: field 'source'" },
		{ "%s\nschedule={interval=60;};\nlab=1;\n", "f.campaign:3: field 'lab': expected true or false" },
		{ "%s\nschedule={interval=60;};\nmultipath=1;\n", "f.campaign:3: field 'multipath': expected true or false" },
		{ "%s\nschedule={interval=60;};\nmultipath=true;\nflows=2;\n", "f.campaign:4: field 'flows': multipath chooses" },
		{ "%s\nschedule={interval=60;};\nmultipath=true;\nsplit_ttl=3;\n", "f.campaign:4: field 'split_ttl': multipath chooses" },
		{ "%s\nschedule={interval=60;};\nconfidence=100;\n", "f.campaign:3: field 'confidence': expected an integer 50..99" },
		{ "%s\nschedule={interval=60;};\nmin_share=51;\n", "f.campaign:3: field 'min_share'" },
		{ "%s\nschedule={interval=60;};\nflow=4000;\nflows=200;\n", "field 'flows': flow + flows" },
		{ "%s\nschedule={interval=60;};\nv6_max_per_prefix=0;\n", "f.campaign:3: field 'v6_max_per_prefix': expected an integer 1..16777216, got 0" },
		{ "%s\nschedule={interval=60;};\nv6_max_per_prefix=16777217;\n", "f.campaign:3: field 'v6_max_per_prefix'" },
		{ "%s\nschedule={interval=60;};\nv6_max_per_prefix=\"all\";\n", "f.campaign:3: field 'v6_max_per_prefix': expected an integer" },
		/* libconfig 1.5 reads integers in 32 bits and wraps them silently
		 * (4294967496 was 200, 4294967306 was 10): refused, not wrapped */
		{ "%s\nschedule={interval=60;};\nrate=4294967496;\n", "f.campaign:3: field 'rate': expected an integer 1..10000000, got 4294967496" },
		{ "%s\nschedule={interval=60;};\nrate=0x1000000C8;\n", "f.campaign:3: field 'rate': expected an integer 1..10000000, got 4294967496" },
		{ "%s\nschedule={\ninterval=4294967306;};\n", "f.campaign:3: field 'schedule.interval': expected an integer 1..31622400, got 4294967306" },
		{ "%s\nschedule={interval=60;};\nmax_ttl=-4294967286;\n", "f.campaign:3: field 'max_ttl': expected an integer 1..255, got -4294967286" },
		{ "%s\nschedule={interval=60;};\nprefix_seed=4294967296;\n", "f.campaign:3: field 'prefix_seed': expected an integer 0..4294967295, got 4294967296" },
		/* past 64 bits: libconfig would clamp even with the L suffix */
		{ "%s\nschedule={interval=60;};\nrate=99999999999999999999;\n", "f.campaign:3: field 'rate': '99999999999999999999' does not fit in 64 bits" },
		{ "%s\nschedule={interval=60;};\nrate=99999999999999999999L;\n", "f.campaign:3: field 'rate': '99999999999999999999L' does not fit in 64 bits" },
		{ "%s\nschedule={interval=60;};\nrate=0x10000000000000000;\n", "f.campaign:3: field 'rate': '0x10000000000000000' does not fit in 64 bits" },
		{ "%s\nschedule={\n interval=99999999999999999999;};\n", "f.campaign:3: field 'schedule.interval': '99999999999999999999' does not fit in 64 bits" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char txt[512], err[512] = "";
		snprintf(txt, sizeof(txt), cases[i].txt, base);
		bt_campaign c;
		int rc = bt_campaign_parse(&c, txt, strlen(txt), "f.campaign", NULL, err, sizeof(err));
		if (rc != -1 || strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: rc %d, err '%s', want '%s'", i, rc, err, cases[i].want);
		assert_int_equal(c.ntarget_files, 0); /* left empty */
	}
	/* a NUL byte inside the file */
	bt_campaign c;
	char err[256];
	assert_int_equal(bt_campaign_parse(&c, "name=\"x\";\0", 10, "n.campaign", NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "n.campaign"));
}

/* Integers past 2^31: the whole prefix_seed range, with or without libconfig's
 * L suffix; numbers inside strings and comments, names with digits and
 * floats are left alone. */
static void test_parse_wide_ints(void **state)
{
	(void)state;
	const struct { const char *txt; uint32_t seed; } cases[] = {
		{ "prefix_seed = 4294967295;", 4294967295u },
		{ "prefix_seed = 3000000000;", 3000000000u },
		{ "prefix_seed = 2147483648L;", 2147483648u },
		{ "prefix_seed = 0xFFFFFFFF;", 4294967295u },
		{ "prefix_seed = 7; # 99999999999999999999 in a comment\n", 7 },
		{ "prefix_seed = 7; /* 99999999999999999999 */ // 1e5 and 5\n", 7 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char txt[512], err[512] = "";
		snprintf(txt, sizeof(txt),
			 "name=\"x2\"; targets=\"t99999999999999999999.txt\"; output=\"/o\\\"1\";"
			 " wait = .5; schedule={interval=60; jitter=1e1;};\n%s", cases[i].txt);
		bt_campaign c;
		if (bt_campaign_parse(&c, txt, strlen(txt), "w", NULL, err, sizeof(err)) != 0)
			fail_msg("case %zu: %s", i, err);
		assert_int_equal(c.prefix_seed, cases[i].seed);
		assert_string_equal(c.target_files[0], "t99999999999999999999.txt");
		assert_string_equal(c.output, "/o\"1");
		assert_int_equal(c.eng.wait_us, 500000);
		assert_int_equal(c.jitter_ms, 10000);
		bt_campaign_free(&c);
	}
}

static uint32_t v4(const char *s)
{
	struct in_addr a;
	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return ntohl(a.s_addr);
}

static const char *fmt(const bt_addr *a)
{
	static char buf[BT_ADDR_STRLEN];
	return bt_addr_format(a, buf, sizeof(buf));
}

static void test_pick_rule(void **state)
{
	(void)state;
	/* Pinned values: the rule is part of the campaign format (doc/campaign.md);
	 * if these change, every VP would probe other addresses than before. */
	assert_int_equal(bt_expand_hash(0), 0);
	assert_int_equal(bt_expand_hash(0xc6120000u), 0x42762d57u);
	assert_int_equal(bt_expand_pick(v4("198.18.0.0"), 24, 0), v4("198.18.0.0") + 1 + 0x42762d57u % 254);
	for (uint32_t n = 0; n < 2000; n++) {
		uint32_t net = v4("198.18.0.0") + (n << 8);
		uint32_t a = bt_expand_pick(net, 24, 7);
		assert_true(a > net && a < net + 255); /* never .0 or .255 */
		assert_int_equal(a, bt_expand_pick(net, 16, 7)); /* same rule for any length up to /24 */
		assert_int_equal(a, bt_expand_pick(net, 24, 7)); /* reproducible */
	}
	/* a different seed picks differently somewhere */
	int differ = 0;
	for (uint32_t n = 0; n < 64; n++)
		differ += bt_expand_pick(v4("198.18.0.0") + (n << 8), 24, 0) != bt_expand_pick(v4("198.18.0.0") + (n << 8), 24, 1);
	assert_true(differ > 50);
	assert_int_equal(bt_expand_pick(v4("198.18.5.9"), 32, 3), v4("198.18.5.9"));
	uint32_t p31 = bt_expand_pick(v4("198.18.5.8"), 31, 3);
	assert_true(p31 == v4("198.18.5.8") || p31 == v4("198.18.5.9"));
	for (uint32_t s = 0; s < 100; s++) {
		uint32_t p30 = bt_expand_pick(v4("198.18.5.8"), 30, s);
		assert_true(p30 == v4("198.18.5.9") || p30 == v4("198.18.5.10"));
		uint32_t p28 = bt_expand_pick(v4("198.18.5.16"), 28, s);
		assert_true(p28 > v4("198.18.5.16") && p28 < v4("198.18.5.31"));
	}
}

static void test_expand(void **state)
{
	(void)state;
	const char *txt = "# targets\n198.18.7.7\n198.18.8.0/22   # four /24s\n\n198.18.20.16/28\r\n";
	bt_targets t;
	char err[256];
	bt_targets_init(&t);
	assert_int_equal(bt_expand_parse(&t, txt, strlen(txt), "t.txt", 0, err, sizeof(err)), 0);
	assert_int_equal(t.n, 6);
	assert_string_equal(fmt(&t.a[0]), "198.18.7.7");
	for (int i = 0; i < 4; i++) {
		uint32_t a = ntohl(bt_addr_v4(&t.a[1 + i]));
		assert_int_equal(a >> 8, (v4("198.18.8.0") >> 8) + (uint32_t)i);
		assert_int_equal(a, bt_expand_pick(v4("198.18.8.0") + ((uint32_t)i << 8), 24, 0));
	}
	assert_int_equal(ntohl(bt_addr_v4(&t.a[5])), bt_expand_pick(v4("198.18.20.16"), 28, 0));
	bt_targets_free(&t);

	/* a /16 is 256 targets, one per /24 */
	bt_targets_init(&t);
	assert_int_equal(bt_expand_parse(&t, "198.18.0.0/16", 13, "t", 5, err, sizeof(err)), 0);
	assert_int_equal(t.n, 256);
	bt_targets_free(&t);

	const struct { const char *txt; const char *want; } bad[] = {
		{ "198.18.0.1\n198.18.0.1/24\n", "t.txt:2: '198.18.0.1/24'" },
		{ "198.18.0.0/33\n", "t.txt:1: '198.18.0.0/33'" },
		{ "\n\n198.0.0.0/7\n", "t.txt:3: '198.0.0.0/7': prefixes shorter than /8" },
		{ "example.org\n", "t.txt:1: 'example.org'" },
		{ "198.18.0.1 198.18.0.2\n", "t.txt:1:" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bt_targets_init(&t);
		err[0] = '\0';
		int rc = bt_expand_parse(&t, bad[i].txt, strlen(bad[i].txt), "t.txt", 0, err, sizeof(err));
		if (rc != -1 || strstr(err, bad[i].want) == NULL)
			fail_msg("case %zu: rc %d, err '%s', want '%s'", i, rc, err, bad[i].want);
		bt_targets_free(&t);
	}
}

static void test_exclude(void **state)
{
	(void)state;
	const char *txt = "198.18.1.0/24\n198.18.2.0/24\n198.18.0.77\n198.18.9.9/24 # host bits: whole /24\n"
			  "2001:db8::/32\n0.0.0.0/1 \n";
	bt_exclude x;
	char err[256];
	bt_exclude_init(&x);
	assert_int_equal(bt_exclude_parse(&x, txt, strlen(txt), "x", err, sizeof(err)), 0);
	bt_exclude_finish(&x);
	assert_int_equal(x.n, 4); /* 0/1, .0.77, 1.0-2.255 merged, 9.0/24 */
	assert_true(bt_exclude_has(&x, v4("198.18.1.0")));
	assert_true(bt_exclude_has(&x, v4("198.18.2.255")));
	assert_false(bt_exclude_has(&x, v4("198.18.3.0")));
	assert_false(bt_exclude_has(&x, v4("198.18.0.255")));
	assert_true(bt_exclude_has(&x, v4("198.18.0.77")));
	assert_false(bt_exclude_has(&x, v4("198.18.0.76")));
	assert_true(bt_exclude_has(&x, v4("198.18.9.0")));
	assert_true(bt_exclude_has(&x, v4("127.255.255.255")));
	assert_false(bt_exclude_has(&x, v4("128.0.0.0")));
	bt_exclude_free(&x);

	bt_exclude_init(&x);
	assert_int_equal(bt_exclude_parse(&x, "1.2.3.4\nnope\n", 13, "optout.txt", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "optout.txt:2: 'nope'"));
	bt_exclude_free(&x);
	/* the top of the space merges without wrapping */
	bt_exclude_init(&x);
	bt_exclude_add(&x, 0xffffff00u, 0xffffffffu);
	bt_exclude_add(&x, 0xfffffe00u, 0xfffffeffu);
	bt_exclude_add(&x, 0, 0);
	bt_exclude_finish(&x);
	assert_int_equal(x.n, 2);
	assert_true(bt_exclude_has(&x, 0xffffffffu));
	assert_true(bt_exclude_has(&x, 0));
	assert_false(bt_exclude_has(&x, 1));
	bt_exclude_free(&x);
}

static void add(bt_targets *t, const char *s)
{
	char err[64];
	assert_int_equal(bt_targets_add_string(t, s, err, sizeof(err)), 0);
}

static void test_filter(void **state)
{
	(void)state;
	const char *list[] = { "198.18.0.1", "10.1.2.3", "192.168.1.1", "127.0.0.1", "100.64.0.1",
			       "8.8.8.8", "198.51.100.7", "203.0.113.9", "224.0.0.1", "198.18.0.1",
			       "198.18.5.5", "2001:db8::1", "1.1.1.1", "169.254.1.1", "240.0.0.1",
			       "192.0.2.9" };
	bt_exclude x;
	char err[64];
	bt_exclude_init(&x);
	assert_int_equal(bt_exclude_parse(&x, "198.18.5.0/24\n1.1.1.0/24\n", 25, "x", err, sizeof(err)), 0);
	bt_exclude_finish(&x);
	for (int lab = 0; lab <= 1; lab++) {
		bt_targets t;
		bt_filter_stats st;
		bt_targets_init(&t);
		for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
			add(&t, list[i]);
		bt_expand_filter(&t, &x, lab, &st);
		assert_int_equal(st.duplicates, 1);
		assert_int_equal(st.v4.listed, 15);
		assert_int_equal(st.v6.listed, 1);
		if (lab) {
			/* only the test ranges; the public 8.8.8.8 is refused too,
			 * and so is 192.0.2.0/24 (documentation, but this machine's) */
			assert_int_equal(t.n, 4);
			assert_string_equal(fmt(&t.a[0]), "198.18.0.1");
			assert_string_equal(fmt(&t.a[1]), "198.51.100.7");
			assert_string_equal(fmt(&t.a[2]), "203.0.113.9");
			assert_string_equal(fmt(&t.a[3]), "2001:db8::1"); /* IPv6 documentation */
			assert_int_equal(st.excluded, 1); /* 198.18.5.5 */
			assert_int_equal(st.v4.by_class[BT_CLASS_PUBLIC], 2); /* 8.8.8.8, 1.1.1.1 */
		} else {
			/* only public addresses, opt-outs removed */
			assert_int_equal(t.n, 1);
			assert_string_equal(fmt(&t.a[0]), "8.8.8.8");
			assert_int_equal(st.excluded, 1); /* 1.1.1.1 */
		}
		assert_int_equal(st.kept, t.n);
		assert_int_equal(st.kept + st.special + st.excluded + st.duplicates,
				 sizeof(list) / sizeof(list[0]));
		bt_targets_free(&t);
	}
	bt_exclude_free(&x);
}

static void test_shuffle(void **state)
{
	(void)state;
	bt_targets a, b;
	char err[64];
	bt_targets_init(&a);
	bt_targets_init(&b);
	assert_int_equal(bt_expand_parse(&a, "198.18.0.0/16", 13, "t", 0, err, sizeof(err)), 0);
	assert_int_equal(bt_expand_parse(&b, "198.18.0.0/16", 13, "t", 0, err, sizeof(err)), 0);
	bt_expand_shuffle(&a, 42);
	bt_expand_shuffle(&b, 42);
	assert_memory_equal(a.a, b.a, a.n * sizeof(bt_addr));
	size_t moved = 0;
	unsigned seen[256] = { 0 };
	for (size_t i = 0; i < a.n; i++) {
		uint32_t v = ntohl(bt_addr_v4(&a.a[i]));
		seen[(v >> 8) & 0xff]++;
		moved += ((v >> 8) & 0xff) != i;
	}
	for (int i = 0; i < 256; i++)
		assert_int_equal(seen[i], 1); /* a permutation */
	assert_true(moved > 200);
	bt_targets_free(&a);
	bt_targets_free(&b);
}

static bt_u128 v6(const char *s)
{
	uint8_t b[16];
	assert_int_equal(inet_pton(AF_INET6, s, b), 1);
	return bt_u128_from_bytes(b);
}

static const char *fmt6(bt_u128 v)
{
	bt_addr a = { .family = AF_INET6 };
	bt_u128_to_bytes(v, a.bytes);
	return fmt(&a);
}

static void test_pick6_rule(void **state)
{
	(void)state;
	/* Pinned values: the IPv6 rule is part of the campaign format too
	 * (doc/campaign.md gives these as its examples). */
	assert_true(bt_expand_hash6(v6("2001:db8::"), 0) == 0x97c619ae06e1e272ULL);
	assert_true(bt_expand_hash6(v6("2001:db8::"), 7) == 0x0d08796030d38d42ULL);
	/* up to /64: ::1 of each /48, of the /49../64 itself; no hash, any seed */
	for (uint32_t seed = 0; seed < 3; seed++) {
		assert_string_equal(fmt6(bt_expand_pick6(v6("2001:db8:1::"), 48, seed)), "2001:db8:1::1");
		assert_string_equal(fmt6(bt_expand_pick6(v6("2001:db8:1::"), 32, seed)), "2001:db8:1::1");
		assert_string_equal(fmt6(bt_expand_pick6(v6("2001:db8:1:100::"), 56, seed)), "2001:db8:1:100::1");
		assert_string_equal(fmt6(bt_expand_pick6(v6("2001:db8:1:2::"), 64, seed)), "2001:db8:1:2::1");
		assert_string_equal(fmt6(bt_expand_pick6(v6("2001:db8:1:2::9"), 128, seed)), "2001:db8:1:2::9");
	}
	/* longer: the hash, never the all-zero interface id */
	assert_string_equal(fmt6(bt_expand_pick6(v6("2001:db8::"), 127, 0)), "2001:db8::"); /* h6 even */
	assert_string_equal(fmt6(bt_expand_pick6(v6("2001:db8:5::ff00"), 120, 0)), "2001:db8:5::ff6b");
	assert_string_equal(fmt6(bt_expand_pick6(v6("2001:db8:5::"), 96, 0)), "2001:db8:5::e0ee:b38d");
	assert_string_equal(fmt6(bt_expand_pick6(v6("2001:db8:5::"), 65, 0)), "2001:db8:5:0:4a5a:56ea:9694:5ca3");
	for (uint32_t seed = 0; seed < 200; seed++) {
		bt_u128 p = bt_expand_pick6(v6("2001:db8:5::ff00"), 120, seed);
		assert_true(p.hi == v6("2001:db8:5::").hi && p.lo > 0xff00 && p.lo <= 0xffff);
		p = bt_expand_pick6(v6("2001:db8:5::8"), 126, seed);
		assert_true(p.lo >= 9 && p.lo <= 11);
		p = bt_expand_pick6(v6("2001:db8:5::8"), 127, seed);
		assert_true(p.lo == 8 || p.lo == 9);
		p = bt_expand_pick6(v6("2001:db8:5:0:8000::"), 65, seed);
		assert_true(p.hi == v6("2001:db8:5::").hi && p.lo > 0x8000000000000000ULL);
	}
}

/* Expands txt (cap v6_max) and checks the addresses, in order. */
static void expect_list(const char *txt, uint32_t v6_max, const char *const *want, size_t n)
{
	bt_targets t;
	char err[256] = "";
	bt_targets_init(&t);
	if (bt_expand_parse_capped(&t, txt, strlen(txt), "t.txt", 0, v6_max, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(t.n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(fmt(&t.a[i]), want[i]);
	bt_targets_free(&t);
}

static void test_expand6(void **state)
{
	(void)state;
	const char *const w46[] = { "2001:db8::1", "2001:db8:1::1", "2001:db8:2::1", "2001:db8:3::1" };
	expect_list("2001:db8::/46\n", 4, w46, 4); /* exactly at the cap */
	const char *const w48[] = { "2001:db8:7::1" };
	expect_list("2001:db8:7::/48", 1, w48, 1);
	const char *const w56[] = { "2001:db8:7:ab00::1" };
	expect_list("2001:db8:7:ab00::/56", 1, w56, 1);
	const char *const w64[] = { "2001:db8:7:ab01::1" };
	expect_list("2001:db8:7:ab01::/64\n", 1, w64, 1);
	const char *const w127[] = { "2001:db8::" };
	expect_list("2001:db8::/127", 1, w127, 1);
	const char *const w128[] = { "2001:db8::42" };
	expect_list("2001:db8::42/128\n", 1, w128, 1);
	/* mixed families keep the list's order; comments, CRLF, spaces */
	const char *const wmix[] = { "198.18.7.7", "2001:db8:8::1", "2001:db8:9::1", "198.18.0.162", "2001:db8::5" };
	expect_list("198.18.7.7\n2001:db8:8::/47 # two /48s\r\n\n  198.18.0.0/24\n2001:db8::5\n",
		    65536, wmix, 5);

	/* the default cap: a /32 is 65,536 targets, a /31 is refused */
	bt_targets t;
	char err[256];
	bt_targets_init(&t);
	assert_int_equal(bt_expand_parse(&t, "2001:db8::/32", 13, "t", 0, err, sizeof(err)), 0);
	assert_int_equal(t.n, 65536);
	assert_string_equal(fmt(&t.a[65535]), "2001:db8:ffff::1");
	bt_targets_free(&t);

	const struct { const char *txt; uint32_t cap; const char *want; } bad[] = {
		{ "2001:db8::/31\n", 65536, "t.txt:1: '2001:db8::/31': 131072 targets (one per /48) is more than v6_max_per_prefix = 65536" },
		{ "2001:db8::1\n2001:db8::/45\n", 4, "t.txt:2: '2001:db8::/45': 8 targets (one per /48) is more than v6_max_per_prefix = 4" },
		{ "2001:db8::1/48\n", 65536, "t.txt:1: '2001:db8::1/48': host bits set" },
		{ "2001:db8:0:1::/48\n", 65536, "t.txt:1: '2001:db8:0:1::/48': host bits set" },
		{ "2001:db8::/129\n", 65536, "t.txt:1: '2001:db8::/129': bad prefix length (IPv4 /0../32, IPv6 /0../128)" },
		{ "198.18.0.0/33\n", 65536, "t.txt:1: '198.18.0.0/33': bad prefix length" },
		{ "2000::/15\n", 1u << 24, "t.txt:1: '2000::/15': IPv6 prefixes shorter than /16 are refused" },
		{ "::/0\n", 65536, "t.txt:1: '::/0': IPv6 prefixes shorter than /16" },
		{ "::ffff:198.18.0.1\n", 65536, "t.txt:1: '::ffff:198.18.0.1': an IPv4-mapped IPv6 address is never on the wire: write the IPv4 address (198.18.0.1)" },
		{ "::ffff:198.18.0.0/120\n", 65536, "t.txt:1: '::ffff:198.18.0.0/120': an IPv4-mapped" },
		{ "fe80::1%eth0\n", 65536, "t.txt:1: 'fe80::1%eth0': a zone id ('%...') names a link" },
		{ "2001:db8::%1/64\n", 65536, "t.txt:1: '2001:db8::%1/64': a zone id" },
		{ "2001:db8:::1\n", 65536, "t.txt:1: '2001:db8:::1': not an address" },
		{ "2001:db8::g\n", 65536, "t.txt:1: '2001:db8::g': not an address" },
		{ "2001:db8::/48/48\n", 65536, "t.txt:1: '2001:db8::/48/48': bad prefix length" },
		{ "2001:db8::/ 48\n", 65536, "t.txt:1:" },
		{ "[2001:db8::1]\n", 65536, "t.txt:1: '[2001:db8::1]': not an address" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bt_targets_init(&t);
		err[0] = '\0';
		int rc = bt_expand_parse_capped(&t, bad[i].txt, strlen(bad[i].txt), "t.txt", 0, bad[i].cap,
						err, sizeof(err));
		if (rc != -1 || strstr(err, bad[i].want) == NULL)
			fail_msg("case %zu: rc %d, err '%s', want '%s'", i, rc, err, bad[i].want);
		bt_targets_free(&t);
	}
	/* IPv4 values are untouched by the IPv6 rule (pinned in test_pick_rule too) */
	bt_targets_init(&t);
	assert_int_equal(bt_expand_parse(&t, "2001:db8::/48\n198.18.0.0/24\n", 27, "t", 0, err, sizeof(err)), 0);
	assert_string_equal(fmt(&t.a[1]), "198.18.0.162");
	bt_targets_free(&t);
}

/* An exclusion list from txt, finished; the test fails if it is refused. */
static void load_exclude(bt_exclude *x, const char *txt)
{
	char err[256] = "";
	bt_exclude_init(x);
	if (bt_exclude_parse(x, txt, strlen(txt), "x", err, sizeof(err)) != 0)
		fail_msg("%s", err);
	bt_exclude_finish(x);
}

static void test_exclude6(void **state)
{
	(void)state;
	bt_exclude x;
	char err[256];
	load_exclude(&x, "2001:db8:1::/48\n2001:db8:5::5/48 # host bits: whole /48\n"
			 "2001:db8:1:ffff::/64 # inside the first\n2001:db8:6::/48 # adjacent: merged\n"
			 "::ffff:198.18.3.0/120 # the IPv4 198.18.3.0/24\n2001:db8:9::9\n");
	assert_int_equal(x.n6, 3); /* 1::/48, 5::-6:ffff.., 9::9 */
	assert_int_equal(x.n, 1);
	assert_true(bt_exclude_has(&x, v4("198.18.3.77")));
	assert_false(bt_exclude_has(&x, v4("198.18.4.0")));
	assert_true(bt_exclude_has6(&x, v6("2001:db8:1::")));
	assert_true(bt_exclude_has6(&x, v6("2001:db8:1:ffff:ffff:ffff:ffff:ffff")));
	assert_false(bt_exclude_has6(&x, v6("2001:db8:0:ffff:ffff:ffff:ffff:ffff")));
	assert_false(bt_exclude_has6(&x, v6("2001:db8:2::")));
	assert_false(bt_exclude_has6(&x, v6("2001:db8:4:ffff:ffff:ffff:ffff:ffff")));
	assert_true(bt_exclude_has6(&x, v6("2001:db8:5::")));
	assert_true(bt_exclude_has6(&x, v6("2001:db8:6:ffff::1")));
	assert_false(bt_exclude_has6(&x, v6("2001:db8:7::")));
	assert_true(bt_exclude_has6(&x, v6("2001:db8:9::9")));
	assert_false(bt_exclude_has6(&x, v6("2001:db8:9::8")));
	assert_false(bt_exclude_has6(&x, v6("2001:db8:9::a")));
	bt_addr a;
	assert_int_equal(bt_addr_parse("2001:db8:5::1", &a), 0);
	assert_true(bt_exclude_has_addr(&x, &a));
	assert_int_equal(bt_addr_parse("198.18.3.1", &a), 0);
	assert_true(bt_exclude_has_addr(&x, &a));
	bt_exclude_free(&x);

	/* refusals name the list and line */
	const struct { const char *txt; const char *want; } bad[] = {
		{ "2001:db8::1\nfe80::1%eth0\n", "x.txt:2: 'fe80::1%eth0': a zone id" },
		{ "2001:db8::/129\n", "x.txt:1: '2001:db8::/129': bad prefix length" },
		{ "2001:db8::zz\n", "x.txt:1: '2001:db8::zz': not an address" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bt_exclude_init(&x);
		err[0] = '\0';
		int rc = bt_exclude_parse(&x, bad[i].txt, strlen(bad[i].txt), "x.txt", err, sizeof(err));
		if (rc != -1 || strstr(err, bad[i].want) == NULL)
			fail_msg("case %zu: rc %d, err '%s', want '%s'", i, rc, err, bad[i].want);
		bt_exclude_free(&x);
	}
	/* short prefixes are fine in an exclusion list; the top merges without wrapping */
	load_exclude(&x, "ffff::/16\nffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n::/128\n::/0\n");
	assert_int_equal(x.n6, 1);
	assert_true(bt_exclude_has6(&x, v6("::")));
	assert_true(bt_exclude_has6(&x, v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
	bt_exclude_free(&x);
	load_exclude(&x, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\nfffe::/16\n::\n");
	assert_int_equal(x.n6, 3);
	assert_false(bt_exclude_has6(&x, v6("::1")));
	assert_false(bt_exclude_has6(&x, v6("ffff::")));
	assert_true(bt_exclude_has6(&x, v6("fffe:1::")));
	bt_exclude_free(&x);
}

static void test_filter6(void **state)
{
	(void)state;
	const char *list[] = { "2001:db8::1", "2001:2::1", "3fff::1", "2606:4700::1", "fe80::1",
			       "fc00::1", "::1", "ff02::1", "2002:c612::1", "64:ff9b::c612:1",
			       "2001:4:112::1", "2400:cb00::1", "2001:db8::1", "198.18.0.1", "8.8.8.8",
			       "2001::1", "::" };
	size_t n = sizeof(list) / sizeof(list[0]);
	bt_exclude x;
	char err[64];
	bt_exclude_init(&x);
	assert_int_equal(bt_exclude_parse(&x, "2400:cb00::/32\n8.8.8.0/24\n", 26, "x", err, sizeof(err)), 0);
	bt_exclude_finish(&x);
	for (int lab = 0; lab <= 1; lab++) {
		bt_targets t;
		bt_filter_stats st;
		bt_targets_init(&t);
		for (size_t i = 0; i < n; i++)
			add(&t, list[i]);
		bt_expand_filter(&t, &x, lab, &st);
		assert_int_equal(st.v4.listed, 2);
		assert_int_equal(st.v6.listed, n - 2);
		assert_int_equal(st.v6.duplicates, 1);
		const bt_family_stats *f = &st.v6;
		assert_int_equal(f->by_class[BT_CLASS_LINK_LOCAL], 1);
		assert_int_equal(f->by_class[BT_CLASS_ULA], 1);
		assert_int_equal(f->by_class[BT_CLASS_LOOPBACK], 1);
		assert_int_equal(f->by_class[BT_CLASS_MULTICAST], 1);
		assert_int_equal(f->by_class[BT_CLASS_6TO4], 1);
		assert_int_equal(f->by_class[BT_CLASS_NAT64], 1);
		assert_int_equal(f->by_class[BT_CLASS_TEREDO], 1);
		assert_int_equal(f->by_class[BT_CLASS_UNSPECIFIED], 1);
		if (lab) {
			/* only the project's own test hosts: not the other
			 * documentation and benchmarking blocks */
			assert_int_equal(t.n, 2);
			assert_string_equal(fmt(&t.a[0]), "2001:db8::1");
			assert_string_equal(fmt(&t.a[1]), "198.18.0.1");
			assert_int_equal(f->by_class[BT_CLASS_BENCHMARKING], 1);  /* 2001:2::1 */
			assert_int_equal(f->by_class[BT_CLASS_DOCUMENTATION], 1); /* 3fff::1 */
			/* public space is outside the test ranges: refused before the opt-out */
			assert_int_equal(f->by_class[BT_CLASS_PUBLIC], 3);
			assert_int_equal(f->excluded, 0);
			assert_int_equal(st.v4.by_class[BT_CLASS_PUBLIC], 1);
		} else {
			assert_int_equal(t.n, 2);
			assert_string_equal(fmt(&t.a[0]), "2606:4700::1");
			assert_string_equal(fmt(&t.a[1]), "2001:4:112::1"); /* AS112: globally reachable */
			assert_int_equal(f->excluded, 1); /* 2400:cb00::1 */
			assert_int_equal(st.v4.excluded, 1); /* 8.8.8.8 */
			assert_int_equal(f->by_class[BT_CLASS_DOCUMENTATION], 2);
			assert_int_equal(f->by_class[BT_CLASS_BENCHMARKING], 1);
		}
		assert_int_equal(st.kept, t.n);
		assert_int_equal(st.v4.kept + st.v6.kept, t.n);
		assert_int_equal(f->kept + f->special + f->excluded + f->duplicates, f->listed);
		assert_int_equal(st.kept + st.special + st.excluded + st.duplicates, n);
		bt_targets_free(&t);
	}
	bt_exclude_free(&x);
}

static void test_shuffle6(void **state)
{
	(void)state;
	/* the shuffle is family-blind: a permutation of a mixed list, reproducible */
	bt_targets a, b;
	char err[128];
	bt_targets_init(&a);
	bt_targets_init(&b);
	const char *txt = "2001:db8::/40\n198.18.0.0/16\n";
	assert_int_equal(bt_expand_parse(&a, txt, strlen(txt), "t", 0, err, sizeof(err)), 0);
	assert_int_equal(bt_expand_parse(&b, txt, strlen(txt), "t", 0, err, sizeof(err)), 0);
	assert_int_equal(a.n, 512);
	bt_expand_shuffle(&a, 42);
	bt_expand_shuffle(&b, 42);
	assert_memory_equal(a.a, b.a, a.n * sizeof(bt_addr));
	size_t v6first = 0;
	for (size_t i = 0; i < 256; i++)
		v6first += a.a[i].family == AF_INET6;
	assert_true(v6first > 64 && v6first < 192); /* the families are interleaved */
	bt_filter_stats st;
	bt_expand_filter(&b, NULL, true, &st); /* a permutation has no duplicates */
	assert_int_equal(st.duplicates, 0);
	assert_int_equal(b.n, 512);
	bt_targets_free(&a);
	bt_targets_free(&b);
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(s, f);
	fclose(f);
}

/* DIR/c.campaign loads, and its lists are refused with want in the message. */
static void expect_lists_refused(const char *dir, const char *want)
{
	char p[300], err[512] = "";
	bt_campaign c;
	bt_targets t;
	bt_filter_stats st;
	snprintf(p, sizeof(p), "%s/c.campaign", dir);
	assert_int_equal(bt_campaign_load(&c, p, err, sizeof(err)), 0);
	bt_targets_init(&t);
	assert_int_equal(bt_campaign_targets(&c, &t, &st, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("err '%s', want '%s'", err, want);
	bt_targets_free(&t);
	bt_campaign_free(&c);
}

static void test_campaign_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/btcamp.XXXXXX", p[300], err[512] = "";
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/t.txt", dir);
	write_file(p, "198.18.200.0/24\n198.18.0.0/23\n10.0.0.0/24\n198.18.0.9\n");
	snprintf(p, sizeof(p), "%s/x.txt", dir);
	write_file(p, "198.18.1.0/24\n");
	snprintf(p, sizeof(p), "%s/c.campaign", dir);
	write_file(p, "name=\"c\"; vp=\"v\"; targets=\"t.txt\"; exclude=[\"x.txt\"]; lab=true;\n"
		      "output=\"out\"; schedule={interval=2;};\n");
	bt_campaign c;
	if (bt_campaign_load(&c, p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	bt_targets t;
	bt_filter_stats st;
	bt_targets_init(&t);
	if (bt_campaign_targets(&c, &t, &st, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	/* 200/24 -> 1, 0/23 -> 2 (one excluded), 10/24 -> special, .0.9 */
	assert_int_equal(st.kept, 3);
	assert_int_equal(st.excluded, 1);
	assert_int_equal(st.special, 1);
	bt_targets_free(&t);
	bt_campaign_free(&c);

	/* mixed families: each list counted, the campaign's cap applied */
	snprintf(p, sizeof(p), "%s/t6.txt", dir);
	write_file(p, "2001:db8::/47\nfe80::1\n2001:db8:1::1\n198.18.0.9\n");
	snprintf(p, sizeof(p), "%s/x.txt", dir);
	write_file(p, "198.18.1.0/24\n2001:db8:1::/48\n");
	snprintf(p, sizeof(p), "%s/c.campaign", dir);
	write_file(p, "name=\"c\"; vp=\"v\"; targets=[\"t.txt\", \"t6.txt\"]; exclude=[\"x.txt\"]; lab=true;\n"
		      "v6_max_per_prefix=2; output=\"out\"; schedule={interval=2;};\n");
	if (bt_campaign_load(&c, p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	bt_campaign_list_counts lc;
	bt_targets_init(&t);
	if (bt_campaign_targets_counted(&c, &t, &st, &lc, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(lc.v4[0], 5);
	assert_int_equal(lc.v6[0], 0);
	assert_int_equal(lc.v4[1], 1);
	assert_int_equal(lc.v6[1], 4);
	/* IPv4: 3 kept as above, the 198.18.0.9 of t6.txt a duplicate; IPv6:
	 * 2001:db8::1 kept, 2001:db8:1::1 excluded (twice: once a duplicate),
	 * fe80::1 link-local */
	assert_int_equal(st.v4.kept, 3);
	assert_int_equal(st.v4.duplicates, 1);
	assert_int_equal(st.v6.listed, 4);
	assert_int_equal(st.v6.kept, 1);
	assert_int_equal(st.v6.excluded, 1);
	assert_int_equal(st.v6.duplicates, 1);
	assert_int_equal(st.v6.by_class[BT_CLASS_LINK_LOCAL], 1);
	assert_int_equal(t.n, 4);
	assert_string_equal(fmt(&t.a[3]), "2001:db8::1");
	bt_targets_free(&t);
	bt_campaign_free(&c);
	/* over the campaign's cap: the list and line named */
	snprintf(p, sizeof(p), "%s/t6.txt", dir);
	write_file(p, "2001:db8::/48\n2001:db8::/46\n");
	expect_lists_refused(dir, "/t6.txt:2: '2001:db8::/46': 4 targets (one per /48) is more than v6_max_per_prefix = 2");
	snprintf(p, sizeof(p), "%s/c.campaign", dir);
	write_file(p, "name=\"c\"; vp=\"v\"; targets=\"t.txt\"; exclude=[\"x.txt\"]; lab=true;\n"
		      "output=\"out\"; schedule={interval=2;};\n");

	/* a bad list names its own file and line */
	snprintf(p, sizeof(p), "%s/t.txt", dir);
	write_file(p, "198.18.200.0/24\n198.18.0.1/16\n");
	expect_lists_refused(dir, "/t.txt:2: '198.18.0.1/16'");
	/* a missing list */
	snprintf(p, sizeof(p), "%s/t.txt", dir);
	unlink(p);
	expect_lists_refused(dir, "t.txt: No such file");
	/* a missing campaign file */
	assert_int_equal(bt_campaign_load(&c, "/nonexistent/c.campaign", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/c.campaign: No such file"));

	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_wide_ints),
		cmocka_unit_test(test_pick_rule),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_exclude),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_shuffle),
		cmocka_unit_test(test_pick6_rule),
		cmocka_unit_test(test_expand6),
		cmocka_unit_test(test_exclude6),
		cmocka_unit_test(test_filter6),
		cmocka_unit_test(test_shuffle6),
		cmocka_unit_test(test_campaign_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
