/*
 * Filling and prefixing struct vnb_error messages.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

void
vnb_error_set(struct vnb_error *err, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/*
 * Put context in front of a message already set, so that a caller can say
 * where a lower layer's failure happened: "classification 'web': ...".
 */
void
vnb_error_prefix(struct vnb_error *err, const char *fmt, ...)
{
	char	prefix[VNB_ERROR_MAX], joined[2 * VNB_ERROR_MAX + 8];
	va_list	ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	err->msg[sizeof(err->msg) - 1] = '\0';
	snprintf(joined, sizeof(joined), "%s: %s", prefix, err->msg);
	snprintf(err->msg, sizeof(err->msg), "%.*s",
	    (int)sizeof(err->msg) - 1, joined);
}

void
vnb_error_clear(struct vnb_error *err)
{
	if (err != NULL)
		err->msg[0] = '\0';
}
