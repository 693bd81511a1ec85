/*
 * Diagnostics for configuration input: every error and warning found in a
 * batch of documents is collected with its place, so that all of them can
 * be reported at once as "file:line:col: message" before anything is
 * written.
 */
#ifndef VNB_DIAG_H
#define VNB_DIAG_H

#include <stdio.h>

struct loc {
	const char	*file;		/* NULL: not from a file */
	int		 line;		/* 1-based; 0: unknown */
	int		 col;
};

struct diag_msg {
	struct loc	 loc;
	int		 warning;
	char		*text;
};

struct diag {
	struct diag_msg	*msgs;
	size_t		 n;
	size_t		 cap;
	int		 errors;
	int		 warnings;
};

void	diag_init(struct diag *);
void	diag_free(struct diag *);
void	diag_error(struct diag *, const struct loc *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	diag_warn(struct diag *, const struct loc *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	diag_print(const struct diag *, FILE *);

#endif
