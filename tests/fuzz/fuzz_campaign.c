/* bordertrace — fuzz target: campaign files (`bordertrace-probe campaign
 * FILE`, libconfig syntax, prober/campaign.c).
 *
 * Input: the file's bytes, parsed by bt_campaign_parse (libconfig underneath,
 * then the field checks). The lists the file names are not read (that is
 * fuzz_expand's job); relative @include paths point into a directory that
 * does not exist, so that a run does not read the machine's files.
 * Properties: a refusal names the file ("fuzz.campaign" and, from libconfig
 * on, a line) and leaves the campaign empty; an accepted campaign has at
 * least one target list, an output directory, NUL-terminated ids, TTLs in
 * order and an interval within its bound. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bordertrace/campaign.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_copy(data, size);
	if (buf == NULL)
		return 0;
	bt_campaign c;
	char err[1024];
	err[0] = '\0';
	if (bt_campaign_parse(&c, buf, size, "fuzz.campaign", "/nonexistent-bt-fuzz", err, sizeof(err)) != 0) {
		if (strncmp(err, "fuzz.campaign", 13) != 0 || memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		if (c.ntarget_files != 0 || c.nexclude_files != 0 || c.output != NULL)
			abort(); /* "on error c is left empty" */
	} else {
		if (c.ntarget_files == 0 || c.ntarget_files > BT_CAMPAIGN_MAX_LISTS ||
		    c.nexclude_files > BT_CAMPAIGN_MAX_LISTS || c.output == NULL ||
		    memchr(c.name, '\0', sizeof(c.name)) == NULL ||
		    memchr(c.vp, '\0', sizeof(c.vp)) == NULL ||
		    c.interval_s == 0 || c.interval_s > BT_CAMPAIGN_MAX_INTERVAL ||
		    c.eng.first_ttl > c.eng.max_ttl)
			abort();
		for (size_t i = 0; i < c.ntarget_files; i++)
			if (c.target_files[i] == NULL)
				abort();
		for (size_t i = 0; i < c.nexclude_files; i++)
			if (c.exclude_files[i] == NULL)
				abort();
		bt_campaign_free(&c);
	}
	free(buf);
	return 0;
}
