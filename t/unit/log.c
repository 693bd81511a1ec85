/*
 * Unit tests for logging levels and the "prog: message" form on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "log.h"
#include "tap.h"

static char	path[] = "/tmp/vnb-test-log.XXXXXX";

/* Everything logged since the last call. */
static char *
captured(void)
{
	char	*text;

	fflush(stderr);
	text = file_read(path, 65536, NULL, NULL);
	if (freopen(path, "w", stderr) == NULL)
		abort();
	return text;
}

int
main(void)
{
	char	*text;
	int	 fd;

	if ((fd = mkstemp(path)) == -1 || freopen(path, "w", stderr) == NULL)
		return 1;
	close(fd);

	log_init("/usr/bin/secmonctl", 1, 0);
	log_warnx("cannot open '%s'", "x.yaml");
	log_info("generation %d active", 7);
	log_debug("store_put: %s", "r1");
	text = captured();
	is_str(text, "secmonctl: cannot open 'x.yaml'\n",
	    "level 0: warnings only, named after the program's base name");
	free(text);

	log_setverbose(LOG_VERBOSE_INFO);
	log_info("generation %d active", 7);
	log_debug("store_put: %s", "r1");
	text = captured();
	is_str(text, "secmonctl: generation 7 active\n", "-v: info shows");
	free(text);

	log_setverbose(LOG_VERBOSE_DEBUG);
	log_debug("store_put: %s", "r1");
	text = captured();
	is_str(text, "secmonctl: store_put: r1\n", "-v -v: debug shows");
	free(text);

	errno = ENOENT;
	log_warn("cannot open '%s'", "y");
	text = captured();
	is_str(text, "secmonctl: cannot open 'y': No such file or directory\n",
	    "log_warn appends the errno message");
	free(text);
	is_int(log_getverbose(), LOG_VERBOSE_DEBUG, "verbosity is kept");
	is_str(log_procname(), "secmonctl", "procname");

	unlink(path);
	return tap_done();
}
