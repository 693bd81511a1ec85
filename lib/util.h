/*
 * Small helpers shared by the tools: allocation wrappers that exit on
 * failure (for short-lived CLIs only; the daemons check every allocation),
 * a growable string buffer, and string functions glibc lacks.
 */
#ifndef VNB_UTIL_H
#define VNB_UTIL_H

#include <stdarg.h>
#include <stddef.h>

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

struct buf {
	char	*data;
	size_t	 len;
	size_t	 size;
};

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_puts(struct buf *, const char *);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_vprintf(struct buf *, const char *, va_list);
char	*buf_release(struct buf *);

#ifndef HAVE_STRLCPY
size_t	 strlcpy(char *, const char *, size_t);
#endif

#endif
