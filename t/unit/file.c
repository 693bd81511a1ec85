/*
 * Unit tests for atomic file replacement and pidfiles, in a temporary
 * directory of their own.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "tap.h"

static char	dir[] = "/tmp/vnb-test-file.XXXXXX";

static int
count_entries(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
test_replace(void)
{
	struct vnb_error	 err;
	struct stat		 st;
	char			 path[256], *text;
	size_t			 len;

	snprintf(path, sizeof(path), "%s/conf", dir);
	is_int(file_replace(path, "one\n", 4, 0600, &err), 0,
	    "replace: creates a new file");
	text = file_read(path, 1024, &len, &err);
	is_str(text, "one\n", "replace: content written");
	free(text);
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "replace: mode set explicitly");

	is_int(file_replace(path, "two\n", 4, FILE_MODE_KEEP, &err), 0,
	    "replace: over an existing file");
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "replace: FILE_MODE_KEEP keeps the old mode");
	ok(file_same(path, "two\n", 4), "replace: file_same sees new content");
	ok(!file_same(path, "one\n", 4), "replace: file_same sees difference");
	ok(!file_same(path, "two\nx", 5), "replace: file_same sees length");
	is_int(count_entries(), 1, "replace: no temporary file left");

	snprintf(path, sizeof(path), "%s/missing/conf", dir);
	is_int(file_replace(path, "x", 1, 0644, &err), -1,
	    "replace: fails in a missing directory");
	ok(strstr(err.msg, "missing/conf") != NULL,
	    "replace: error names the file (%s)", err.msg);
}

static void
test_read(void)
{
	struct vnb_error	 err;
	char			 path[256], *text;

	snprintf(path, sizeof(path), "%s/big", dir);
	file_replace(path, "0123456789", 10, 0644, &err);
	ok(file_read(path, 9, NULL, &err) == NULL, "read: over the limit");
	ok(strstr(err.msg, "larger than 9") != NULL,
	    "read: error says the limit (%s)", err.msg);
	text = file_read(path, 10, NULL, &err);
	is_str(text, "0123456789", "read: exactly at the limit");
	free(text);
	unlink(path);

	snprintf(path, sizeof(path), "%s/none", dir);
	ok(file_read(path, 10, NULL, &err) == NULL, "read: missing file");
	ok(strstr(err.msg, "No such file") != NULL, "read: says why");
}

static void
test_mkdirs(void)
{
	struct vnb_error	err;
	struct stat		st;
	char			path[256];

	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	is_int(file_mkdirs(path, 0700, &err), 0, "mkdirs: creates a chain");
	ok(stat(path, &st) == 0 && S_ISDIR(st.st_mode), "mkdirs: exists");
	is_int(file_mkdirs(path, 0700, &err), 0, "mkdirs: existing is fine");
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a", dir);
	rmdir(path);
}

static void
test_pidfile(void)
{
	struct vnb_error	err;
	char			path[256];
	pid_t			pid = 0;

	snprintf(path, sizeof(path), "%s/pid", dir);
	is_int(pidfile_write(path, &err), 0, "pidfile: write");
	is_int(pidfile_read(path, &pid, &err), 0, "pidfile: read");
	is_int(pid, getpid(), "pidfile: holds our pid");
	is_int(pidfile_write(path, &err), 0, "pidfile: rewrite our own");

	/* pid 1 is alive: another daemon holds the pidfile. */
	file_replace(path, "1\n", 2, 0644, &err);
	is_int(pidfile_write(path, &err), -1, "pidfile: live owner refused");
	ok(strstr(err.msg, "already running as pid 1") != NULL,
	    "pidfile: error names the pid (%s)", err.msg);

	file_replace(path, "12x\n", 4, 0644, &err);
	is_int(pidfile_read(path, &pid, &err), -1, "pidfile: garbage refused");
	ok(strstr(err.msg, path) != NULL, "pidfile: error names the file");

	is_int(pidfile_remove(path), 0, "pidfile: remove");
	is_int(pidfile_read(path, &pid, &err), -1, "pidfile: gone");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_replace();
	test_read();
	test_mkdirs();
	test_pidfile();
	rmdir(dir);
	return tap_done();
}
