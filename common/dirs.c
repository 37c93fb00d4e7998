/* bordertrace — mkdir -p (include/bordertrace/dirs.h). */
#include "bordertrace/dirs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int bt_mkdirs(const char *dir, mode_t mode, char *err, size_t errlen)
{
	struct stat st;
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
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
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
