/*
 * UUIDs through libuuid.
 */
#include <string.h>
#include <uuid/uuid.h>

#include "vnbuuid.h"

void
vnb_uuid_generate(char *out)
{
	uuid_t	u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, out);
}

/* Only the canonical form: 8-4-4-4-12 hexadecimal digits. */
int
vnb_uuid_valid(const char *s)
{
	uuid_t	u;

	if (strlen(s) != VNB_UUID_STRLEN - 1)
		return 0;
	return uuid_parse(s, u) == 0;
}
