/* bordertrace — the one id rule (see include/bordertrace/id.h). */
#include "bordertrace/id.h"

#include <string.h>

#include "bordertrace/trace.h"

const char *bt_id_problem(const char *s)
{
	if (s == NULL || *s == '\0')
		return "is empty";
	if (strnlen(s, BT_ID_MAX) >= BT_ID_MAX)
		return "is longer than 63 characters";
	if (*s == '.')
		return "starts with '.'";
	if (strchr("=+-@", *s) != NULL)
		return "starts with a formula character ('=', '+', '-' or '@')";
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c > '~')
			return "contains a space, a control or a non-ASCII character";
		if (c == '/')
			return "contains '/'";
		if (c == '"' || c == '\\')
			return "contains a quote or a backslash";
	}
	return NULL;
}
