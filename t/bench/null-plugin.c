/*
 * A plugin that counts what it is handed and does nothing else: the
 * benchmark's stand-in, so that the figure is the dataplane's own cost.
 */
#include <stdlib.h>

#include <vnb/plugin.h>

struct null {
	unsigned int	 n;
	uint64_t	*packets;	/* per worker */
};

static void *
null_init(const struct vnb_plugin_host *host, const char *config, char *err,
    size_t errlen)
{
	struct null	*nl = calloc(1, sizeof(*nl));

	if (nl == NULL || (nl->packets = calloc(host->nworkers * 8,
	    sizeof(uint64_t))) == NULL) {
		free(nl);
		return NULL;
	}
	nl->n = host->nworkers;
	return nl;
}

static void
null_handle(void *inst, unsigned int w, struct vnb_pkt *const *pkts,
    unsigned int n)
{
	struct null	*nl = inst;

	/* A cache line per worker. */
	nl->packets[w * 8] += n;
}

static void
null_counters(void *inst, vnb_counter_fn *emit, void *arg)
{
	struct null	*nl = inst;
	uint64_t	 sum = 0;
	unsigned int	 w;

	for (w = 0; w < nl->n; w++)
		sum += nl->packets[w * 8];
	emit(arg, "counted", sum);
}

static void
null_fini(void *inst, void *next)
{
	struct null	*nl = inst;

	free(nl->packets);
	free(nl);
}

const struct vnb_plugin vnb_plugin = {
	.abi_version = VNB_PLUGIN_ABI_VERSION,
	.name = "null",
	.description = "count matched packets",
	.init = null_init,
	.handle = null_handle,
	.counters = null_counters,
	.fini = null_fini,
};
