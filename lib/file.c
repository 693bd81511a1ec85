/*
 * Atomic file replacement and pidfiles.
 *
 * file_replace() writes a temporary file beside the target, syncs it,
 * renames it over the target and syncs the directory, so that after a
 * crash the target is either the old file or the new one, never a mix.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "parse.h"
#include "util.h"

static int
write_all(int fd, const void *data, size_t len)
{
	const char	*p = data;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int
sync_dir(const char *path)
{
	char	copy[PATH_MAX];
	int	fd, rc;

	if (strlcpy(copy, path, sizeof(copy)) >= sizeof(copy))
		return -1;
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * Replace path with len bytes of data.  The mode is set explicitly (the
 * umask does not apply), or with FILE_MODE_KEEP taken from the existing
 * file, falling back to 0644 for a new one.
 */
int
file_replace(const char *path, const void *data, size_t len, mode_t mode,
    struct vnb_error *err)
{
	char		tmp[PATH_MAX];
	struct stat	st;
	int		fd;

	if (mode == FILE_MODE_KEEP)
		mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >=
	    sizeof(tmp)) {
		vnb_error_set(err, "'%s': path too long", path);
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		vnb_error_set(err, "cannot create a file beside '%s': %s",
		    path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, mode) == -1 || write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1) {
		vnb_error_set(err, "cannot write '%s': %s", tmp,
		    strerror(errno));
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		vnb_error_set(err, "cannot write '%s': %s", tmp,
		    strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		vnb_error_set(err, "cannot rename '%s' to '%s': %s", tmp, path,
		    strerror(errno));
		goto fail;
	}
	if (sync_dir(path) == -1) {
		vnb_error_set(err, "cannot sync the directory of '%s': %s",
		    path, strerror(errno));
		return -1;
	}
	return 0;

 fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return -1;
}

/* Whether path holds exactly these bytes; used to skip needless writes. */
int
file_same(const char *path, const void *data, size_t len)
{
	char	*old;
	size_t	 oldlen;
	int	 same;

	if ((old = file_read(path, len + 1, &oldlen, NULL)) == NULL)
		return 0;
	same = oldlen == len && memcmp(old, data, len) == 0;
	free(old);
	return same;
}

/*
 * Read a whole file, at most max bytes, into a NUL-terminated buffer the
 * caller frees.  "-" reads standard input.
 */
char *
file_read(const char *path, size_t max, size_t *lenp, struct vnb_error *err)
{
	struct buf	 b;
	char		 chunk[65536];
	ssize_t		 n;
	int		 fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		vnb_error_set(err, "cannot open '%s': %s", path,
		    strerror(errno));
		return NULL;
	}

	buf_init(&b);
	buf_add(&b, "", 0);
	for (;;) {
		if ((n = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			vnb_error_set(err, "cannot read '%s': %s", path,
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (b.len + n > max) {
			vnb_error_set(err, "'%s' is larger than %zu bytes",
			    path, max);
			goto fail;
		}
		buf_add(&b, chunk, n);
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (lenp != NULL)
		*lenp = b.len;
	return buf_release(&b);

 fail:
	if (fd != STDIN_FILENO)
		close(fd);
	buf_free(&b);
	return NULL;
}

/* mkdir -p, with the mode applied to the directories it creates. */
int
file_mkdirs(const char *path, mode_t mode, struct vnb_error *err)
{
	char	copy[PATH_MAX], *p, saved;

	if (strlcpy(copy, path, sizeof(copy)) >= sizeof(copy)) {
		vnb_error_set(err, "'%s': path too long", path);
		return -1;
	}
	for (p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		saved = *p;
		*p = '\0';
		if (mkdir(copy, mode) == -1 && errno != EEXIST) {
			vnb_error_set(err, "cannot create directory '%s': %s",
			    copy, strerror(errno));
			return -1;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	return 0;
}

/*
 * Write our pid.  A pidfile naming a live process is refused, so that two
 * copies of a daemon do not fight over the same configuration.
 */
int
pidfile_write(const char *path, struct vnb_error *err)
{
	char	line[32];
	pid_t	other;
	int	n;

	if (pidfile_read(path, &other, NULL) == 0 && other != getpid() &&
	    kill(other, 0) == 0) {
		vnb_error_set(err, "'%s': already running as pid %ld", path,
		    (long)other);
		return -1;
	}
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	return file_replace(path, line, n, 0644, err);
}

int
pidfile_read(const char *path, pid_t *pid, struct vnb_error *err)
{
	char		*text, *nl;
	uint64_t	 v;
	int		 rc;

	if ((text = file_read(path, 64, NULL, err)) == NULL)
		return -1;
	if ((nl = strchr(text, '\n')) != NULL)
		*nl = '\0';
	rc = parse_uint(text, 1, INT_MAX, &v, err);
	if (rc == 0)
		*pid = (pid_t)v;
	else
		vnb_error_prefix(err, "pidfile '%s'", path);
	free(text);
	return rc;
}

int
pidfile_remove(const char *path)
{
	return unlink(path);
}
