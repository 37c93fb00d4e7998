/* bordertrace — round ids, schedule slots and atomic round files (see
 * include/bordertrace/round.h). */
#include "bordertrace/round.h"
#include "bordertrace/dirs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int64_t bt_round_slot(int64_t t, uint32_t interval_s)
{
	int64_t i = interval_s ? interval_s : 1;
	int64_t q = t / i;
	if (t % i != 0 && t < 0)
		q--; /* floor, also before 1970 */
	return q * i;
}

const char *bt_round_id(int64_t slot_s, char *buf, size_t len)
{
	time_t tt = (time_t)slot_s;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
		return NULL;
	if (strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) != BT_ROUND_ID_LEN - 1)
		return NULL;
	return buf;
}

bool bt_round_name_ok(const char *n)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ.jsonl";
	if (strlen(n) != sizeof(pat) - 1)
		return false;
	for (size_t i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? (n[i] < '0' || n[i] > '9') : n[i] != pat[i])
			return false;
	return true;
}

bool bt_round_tmp_name(const char *n)
{
	const char *p = strstr(n, ".tmp.");
	return n[0] == '.' && p != NULL && strlen(p) == 11;
}

int bt_round_dir_prepare(const char *dir, size_t *stale, size_t *complete, char *err, size_t errlen)
{
	*stale = *complete = 0;
	if (bt_mkdirs(dir, 0755, NULL, err, errlen) != 0)
		return -1;
	DIR *d = opendir(dir);
	if (d == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (bt_round_name_ok(de->d_name)) {
			(*complete)++;
		} else if (bt_round_tmp_name(de->d_name)) {
			if (unlinkat(dirfd(d), de->d_name, 0) != 0) {
				snprintf(err, errlen, "%s/%s: %s", dir, de->d_name, strerror(errno));
				closedir(d);
				return -1;
			}
			(*stale)++;
		}
	}
	closedir(d);
	return 0;
}

int bt_round_dir_lock(const char *dir, char *err, size_t errlen)
{
	char *p;
	if (asprintf(&p, "%s/.lock", dir) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", p, strerror(errno));
	} else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, "%s: %s", p, errno == EWOULDBLOCK ?
			 "another bordertrace-probe is running this campaign and VP" : strerror(errno));
		close(fd);
		fd = -1;
	}
	free(p);
	return fd;
}

bool bt_round_exists(const char *dir, const char *id)
{
	char *p;
	struct stat st;
	if (asprintf(&p, "%s/%s.jsonl", dir, id) < 0)
		return false;
	bool ok = stat(p, &st) == 0;
	free(p);
	return ok;
}

static void rf_free(bt_round_file *rf)
{
	free(rf->tmp);
	free(rf->final);
	free(rf->dir);
	memset(rf, 0, sizeof(*rf));
}

int bt_round_file_open(bt_round_file *rf, const char *dir, const char *id, char *err, size_t errlen)
{
	memset(rf, 0, sizeof(*rf));
	if (asprintf(&rf->tmp, "%s/.%s.jsonl.tmp.XXXXXX", dir, id) < 0 ||
	    asprintf(&rf->final, "%s/%s.jsonl", dir, id) < 0 || (rf->dir = strdup(dir)) == NULL) {
		snprintf(err, errlen, "out of memory");
		rf_free(rf);
		return -1;
	}
	int fd = mkostemp(rf->tmp, O_CLOEXEC);
	if (fd < 0 || (rf->f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", rf->tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(rf->tmp);
		}
		rf_free(rf);
		return -1;
	}
	(void)fchmod(fd, 0644); /* readable by whoever ships the rounds */
	return 0;
}

int bt_round_file_commit(bt_round_file *rf, char *err, size_t errlen)
{
	int rc = 0;
	if (fflush(rf->f) != 0 || fsync(fileno(rf->f)) != 0) {
		snprintf(err, errlen, "%s: %s", rf->tmp, strerror(errno));
		rc = -1;
	}
	if (fclose(rf->f) != 0 && rc == 0) {
		snprintf(err, errlen, "%s: %s", rf->tmp, strerror(errno));
		rc = -1;
	}
	rf->f = NULL;
	if (rc == 0 && rename(rf->tmp, rf->final) != 0) {
		snprintf(err, errlen, "%s: %s", rf->final, strerror(errno));
		rc = -1;
	}
	if (rc != 0) {
		unlink(rf->tmp);
	} else {
		/* the rename itself must survive a power cut */
		int dfd = open(rf->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd) != 0) {
			snprintf(err, errlen, "%s: %s", rf->dir, strerror(errno));
			rc = -1;
		}
		if (dfd >= 0)
			close(dfd);
	}
	rf_free(rf);
	return rc;
}

void bt_round_file_abort(bt_round_file *rf)
{
	if (rf->f != NULL) {
		fclose(rf->f);
		unlink(rf->tmp);
	}
	rf_free(rf);
}
