/* bordertrace — directories: the one `mkdir -p` both programs use (round
 * directories, export directories). */
#ifndef BORDERTRACE_DIRS_H
#define BORDERTRACE_DIRS_H

#include <stddef.h>
#include <sys/types.h>

/* Creates dir and its missing parents with mode (less the umask), like
 * mkdir -p; fine when dir exists. 0, or -1 with a message naming the
 * component that failed ("a/b: Not a directory"); on failure whatever it
 * created is removed again. made (may be NULL) receives the length of the
 * first component it created (dir[0..made) is the first new directory), 0
 * when all existed. */
int bt_mkdirs(const char *dir, mode_t mode, size_t *made, char *err, size_t errlen);

/* Removes, deepest first, the empty directories bt_mkdirs created (made as
 * it gave it); stops at the first that is not empty. For a command that
 * failed after making its output directory: it leaves nothing behind. */
void bt_rmdirs_made(const char *dir, size_t made);

#endif
