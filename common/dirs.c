/* bordertrace — mkdir -p (include/bordertrace/dirs.h). */
#include "bordertrace/dirs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int bt_mkdirs(const char *dir, mode_t mode, size_t *made, char *err, size_t errlen)
{
	struct stat st;
	size_t first = 0; /* where the first directory this call made ends */
	if (made != NULL)
		*made = 0;
	if (*dir == '\0') {
		snprintf(err, errlen, "an empty directory name");
		return -1;
	}
	char *p = strdup(dir);
	if (p == NULL) {
		snprintf(err, errlen, "%s: out of memory", dir);
		return -1;
	}
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) == 0) {
			if (first == 0)
				first = (size_t)(s - p);
		} else if (errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", p, strerror(errno));
			free(p);
			bt_rmdirs_made(dir, first);
			return -1;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	if (made != NULL)
		*made = first;
	/* EEXIST also means a file of that name */
	if (stat(dir, &st) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", dir, strerror(ENOTDIR));
		return -1;
	}
	return 0;
}

void bt_rmdirs_made(const char *dir, size_t made)
{
	if (made == 0)
		return;
	char *p = strdup(dir);
	if (p == NULL)
		return;
	/* deepest first; rmdir refuses a directory that is not empty */
	for (size_t n = strlen(p); n >= made; n--) {
		if (n < strlen(dir) && p[n] != '/')
			continue;
		p[n] = '\0';
		if (*p != '\0' && rmdir(p) != 0 && errno != ENOENT)
			break;
		if (n == made)
			break;
	}
	free(p);
}
