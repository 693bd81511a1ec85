/*
 * Files written so that a reader never sees half of them: atomic
 * replacement, and pidfiles for daemons.
 */
#ifndef VNB_FILE_H
#define VNB_FILE_H

#include <sys/types.h>
#include <stddef.h>

#include "error.h"

/* Mode for file_replace(): keep the mode of the file being replaced. */
#define FILE_MODE_KEEP	((mode_t)-1)

int	file_replace(const char *, const void *, size_t, mode_t,
	    struct vnb_error *);
int	file_same(const char *, const void *, size_t);
char	*file_read(const char *, size_t, size_t *, struct vnb_error *);
int	file_mkdirs(const char *, mode_t, struct vnb_error *);

int	pidfile_write(const char *, struct vnb_error *);
int	pidfile_read(const char *, pid_t *, struct vnb_error *);
int	pidfile_remove(const char *);

#endif
