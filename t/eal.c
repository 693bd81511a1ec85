/*
 * The EAL for tests: see eal.h.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "eal.h"

#define EAL_NAME_MAX	64

static char	eal_dir[PATH_MAX + EAL_NAME_MAX];	/* ours */
static char	eal_parent[PATH_MAX];		/* if we made it */
static int	eal_running;

static void
eal_rmdir(void)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[PATH_MAX * 2];

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
	/* Fails, as it should, once another process has put its own there. */
	if (eal_parent[0] != '\0')
		rmdir(eal_parent);
}

/*
 * EAL makes PARENT/PREFIX even with --no-shconf, where PARENT is
 * /var/run/dpdk for root and $XDG_RUNTIME_DIR/dpdk or /tmp/dpdk for
 * others (eal_create_runtime_dir() in DPDK).  A prefix of our own keeps
 * two tests that run at once apart.
 */
int
eal_start(const char *prog, unsigned int mb)
{
	struct stat	 st;
	const char	*base, *slash;
	char		 mem[16], name[EAL_NAME_MAX];
	char		 prefix[EAL_NAME_MAX + 16];
	char		*argv[] = { (char *)prog, "-l", "0", "--no-huge",
			    "-m", mem, "--no-pci", "--no-shconf",
			    "--no-telemetry", "--log-level=lib.eal:warning",
			    prefix, NULL };
	int		 argc = sizeof(argv) / sizeof(argv[0]) - 1;

	snprintf(mem, sizeof(mem), "%u", mb);
	snprintf(name, sizeof(name), "vnb-%s-%ld",
	    (slash = strrchr(prog, '/')) != NULL ? slash + 1 : prog,
	    (long)getpid());
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s", name);

	base = getuid() == 0 ? NULL : getenv("XDG_RUNTIME_DIR");
	if (base == NULL)
		base = getuid() == 0 ? "/var/run" : "/tmp";
	snprintf(eal_parent, sizeof(eal_parent), "%s/dpdk", base);
	snprintf(eal_dir, sizeof(eal_dir), "%s/%s", eal_parent, name);
	if (stat(eal_parent, &st) == 0)
		eal_parent[0] = '\0';

	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "%s: EAL: %s\n", prog, rte_strerror(rte_errno));
		eal_rmdir();
		return -1;
	}
	eal_running = 1;
	atexit(eal_stop);
	return 0;
}

void
eal_stop(void)
{
	if (!eal_running)
		return;
	eal_running = 0;
	rte_eal_cleanup();
	eal_rmdir();
}
