/* bordertrace — directories: the one `mkdir -p` both programs use (round
 * directories, export directories). */
#ifndef BORDERTRACE_DIRS_H
#define BORDERTRACE_DIRS_H

#include <stddef.h>
#include <sys/types.h>

/* Creates dir and its missing parents with mode (less the umask), like
 * mkdir -p; fine when dir exists. 0, or -1 with a message naming the
 * component that failed ("a/b: Not a directory"). */
int bt_mkdirs(const char *dir, mode_t mode, char *err, size_t errlen);

#endif
