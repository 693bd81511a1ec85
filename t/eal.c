/*
 * The EAL for tests: see eal.h.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "eal.h"

static char	eal_dir[PATH_MAX];	/* our runtime directory */
static char	eal_parent[PATH_MAX];	/* its parent, if we made it */

/*
 * EAL makes /var/run/dpdk/PREFIX (or under $XDG_RUNTIME_DIR when not
 * root) even with --no-shconf.  A prefix of our own keeps two tests that
 * run at once apart.
 */
int
eal_start(const char *prog, unsigned int mb)
{
	struct stat	 st;
	char		 mem[16], prefix[64], *dir, *slash;
	char		*argv[] = { (char *)prog, "-l", "0", "--no-huge", "-m",
			    mem, "--no-pci", "--no-shconf", "--no-telemetry",
			    "--log-level=lib.eal:warning", prefix, NULL };
	int		 argc = sizeof(argv) / sizeof(argv[0]) - 1;

	snprintf(mem, sizeof(mem), "%u", mb);
	snprintf(prefix, sizeof(prefix), "--file-prefix=vnb-%s-%ld",
	    (slash = strrchr(prog, '/')) != NULL ? slash + 1 : prog,
	    (long)getpid());

	/* Where the runtime directory goes: see eal_create_runtime_dir(). */
	dir = getuid() == 0 ? NULL : getenv("XDG_RUNTIME_DIR");
	snprintf(eal_parent, sizeof(eal_parent), "%s/dpdk",
	    dir != NULL ? dir : getuid() == 0 ? "/var/run" : "/tmp");
	if (stat(eal_parent, &st) == 0)
		eal_parent[0] = '\0';

	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "%s: EAL: %s\n", prog, rte_strerror(rte_errno));
		return -1;
	}
	snprintf(eal_dir, sizeof(eal_dir), "%s", rte_eal_get_runtime_dir());
	atexit(eal_stop);
	return 0;
}

void
eal_stop(void)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[PATH_MAX * 2];

	if (eal_dir[0] == '\0')
		return;
	rte_eal_cleanup();

	if ((d = opendir(eal_dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", eal_dir,
			    de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(eal_dir);
	eal_dir[0] = '\0';
	/* Fails, as it should, once another process has put its own there. */
	if (eal_parent[0] != '\0')
		rmdir(eal_parent);
}
