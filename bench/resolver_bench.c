/* bordertrace bench — resolver throughput, driven by bench/resolver.sh.
 *
 * Reads hop addresses (one per line) into memory, then times parsing and
 * resolving each of them once with bt_resolver, as the reference
 * (python3-maxminddb) does with the same strings. Prints key=value lines:
 * lookups, seconds, rate, found (addresses with an ASN), asn_sum (to check
 * that both readers agree), cache hits/misses, maxrss_kb, open_seconds
 * (bt_resolver_open, which loads the MMDB's networks; not in the rate).
 * usage: bt-resolver-bench DB ADDRS [--cache-bits N] [--tree-lookups]
 *   N = 0: no cache; --tree-lookups: look up in libmaxminddb's tree */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bordertrace/resolver.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	bt_resolver_config cfg;
	bt_resolver_config_init(&cfg);
	int i = 3;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--cache-bits") == 0 && i + 1 < argc)
			cfg.cache_bits = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--tree-lookups") == 0)
			cfg.mmdb_tree_lookups = true;
		else
			break;
	}
	if (argc < 3 || i < argc) {
		fprintf(stderr, "usage: bt-resolver-bench DB ADDRS [--cache-bits N] "
				"[--tree-lookups]\n");
		return 2;
	}
	cfg.asn_db = argv[1];

	FILE *f = fopen(argv[2], "r");
	if (f == NULL) {
		perror(argv[2]);
		return 1;
	}
	size_t n = 0, cap = 1 << 20;
	char **addrs = malloc(cap * sizeof(*addrs));
	char *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	while (addrs && (len = getline(&line, &lcap, f)) > 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (n == cap) {
			cap *= 2;
			char **p = realloc(addrs, cap * sizeof(*p));
			if (p == NULL) {
				free(addrs);
				addrs = NULL;
				break;
			}
			addrs = p;
		}
		if ((addrs[n++] = strdup(line)) == NULL) {
			addrs = NULL;
			break;
		}
	}
	free(line);
	fclose(f);
	if (addrs == NULL) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}

	bt_resolver *r;
	char err[1024];
	double topen = now();
	if (bt_resolver_open(&cfg, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	topen = now() - topen;
	uint64_t asn_sum = 0, found = 0;
	size_t bad = 0;
	double t0 = now();
	for (size_t i = 0; i < n; i++) {
		bt_addr a;
		bt_resolution o;
		if (bt_addr_parse(addrs[i], &a) != 0 ||
		    bt_resolver_lookup(r, &a, &o, err, sizeof(err)) != 0) {
			bad++;
			continue;
		}
		if (o.asn) {
			found++;
			asn_sum += o.asn;
		}
	}
	double dt = now() - t0;
	uint64_t hits, misses;
	bt_resolver_cache_stats(r, &hits, &misses);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("impl=bordertrace cache_bits=%u tree_lookups=%d\n", cfg.cache_bits,
	       cfg.mmdb_tree_lookups);
	printf("lookups=%zu\nseconds=%.4f\nrate=%.0f\n", n, dt, (double)n / dt);
	printf("found=%llu\nasn_sum=%llu\nerrors=%zu\n", (unsigned long long)found,
	       (unsigned long long)asn_sum, bad);
	printf("cache_hits=%llu\ncache_misses=%llu\n", (unsigned long long)hits,
	       (unsigned long long)misses);
	printf("maxrss_kb=%ld\n", ru.ru_maxrss);
	printf("open_seconds=%.4f\n", topen);
	bt_resolver_close(r);
	for (size_t i = 0; i < n; i++)
		free(addrs[i]);
	free(addrs);
	return bad ? 1 : 0;
}
