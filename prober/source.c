/* bordertrace — the engine's source selection (see source.h). */
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int bt_source_check(const bt_family *fam, const bt_addr *src, char *err, size_t errlen)
{
	if (fam->own_source(src) == 0)
		return 0;
	int saved = errno;
	char a[BT_ADDR_STRLEN];
	snprintf(err, errlen, "source address %s: %s", bt_addr_format(src, a, sizeof(a)), strerror(saved));
	return -1;
}

void bt_source_init(bt_source *s, const bt_family *fam, const char *device, const bt_addr *src)
{
	memset(s, 0, sizeof(*s));
	s->fam = fam;
	s->device = device;
	s->fd = -1;
	s->has_fixed = bt_addr_is_set(src);
	if (s->has_fixed)
		s->fixed = *src;
}

void bt_source_reset(bt_source *s)
{
	memset(s->ok, 0, sizeof(s->ok));
}

void bt_source_close(bt_source *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* A connected datagram socket does the route lookup without sending
 * anything. */
int bt_source_for(bt_source *s, const bt_addr *dst, bt_addr *src, int *why)
{
	if (s->has_fixed) {
		*src = s->fixed;
		return 0;
	}
	uint64_t net = s->fam->route_prefix(dst);
	unsigned c = (unsigned)(net ^ net >> 16) & (BT_SOURCE_CACHE - 1);
	if (s->ok[c] && s->net[c] == net) {
		*src = s->src[c];
		*why = ENETUNREACH;
		return s->ok[c] == 1 ? 0 : -1;
	}
	if (s->fd < 0) {
		s->fd = socket(s->fam->af, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s->fd < 0) {
			*why = errno;
			return -1;
		}
		if (s->device)
			(void)setsockopt(s->fd, SOL_SOCKET, SO_BINDTODEVICE, s->device, (socklen_t)strlen(s->device));
	}
	bt_addr found = { 0 };
	int rc = s->fam->route(s->fd, dst, &found);
	*why = errno;
	s->net[c] = net;
	s->ok[c] = rc == 0 ? 1 : 2;
	s->src[c] = found;
	if (rc != 0) {
		/* a failed connect may leave the socket in an odd state: start over */
		close(s->fd);
		s->fd = -1;
		return -1;
	}
	*src = found;
	return 0;
}
