/*
 * vnb-dataplane: the packet path of VNB's monitoring.
 *
 * The main lcore is the control thread: it parses the options, starts
 * EAL and the ports, loads the configuration document and the plugins,
 * and then waits for signals, prints counters and reloads.  Every other
 * lcore is a worker that polls its receive queues and runs dp_process()
 * on each burst.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_atomic.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_rcu_qsbr.h>

#include "dp.h"
#include "file.h"
#include "log.h"
#include "parse.h"
#include "util.h"

#define RX_RING		1024
#define TX_RING		512
#define MBUF_CACHE	256
#define EGRESS_MBUFS	4095
#define EAL_ARGS_MAX	64
#define VDEV_MAX	DP_MAX_PORTS

/* A receive queue and the worker that polls it. */
struct rxq {
	uint16_t	port;
	uint16_t	queue;
};

struct worker {
	unsigned int		 id;
	unsigned int		 lcore;
	struct rxq		 rxq[DP_MAX_PORTS];
	unsigned int		 nrxq;
	struct dp_worker_count	 count;
	uint64_t		 egress_sent;
	uint64_t		 egress_dropped;
} __attribute__((aligned(64)));

struct options {
	const char	*config;
	const char	*pidfile;
	const char	*egress;
	char		*vdevs[VDEV_MAX];
	unsigned int	 nvdevs;
	struct {
		const char	*name, *path, *args;
	}		 plugins[DP_NPLUGINS];
	const char	*plugin_dir;
	unsigned int	 workers;
	unsigned int	 memory_mb;
	unsigned int	 mbufs;
	uint64_t	 stats_ms;
	uint64_t	 idle_exit_ms;
	int		 stats_json;
	int		 foreground;
	int		 verbose;
	char		**eal;		/* after "--" */
	int		 neal;
};

static struct options		 opt;
static struct worker		 workers[DP_MAX_WORKERS];
static unsigned int		 nworkers;
static struct dp_gen		*current;	/* what the workers read */
static struct rte_rcu_qsbr	*rcu;
static volatile int		 quit;
static struct dp_plugin		*plugins[DP_NPLUGINS];
static struct rte_mempool	*pool;
static struct rte_mempool	*egress_pool;
static int			 egress_port = -1;
static uint16_t			 rx_ports[DP_MAX_PORTS];
static unsigned int		 nrx_ports;
static char			 eal_prefix[64];
static uint64_t			 started_ns;
/* Capture files replayed once: their packets keep their capture times. */
static char			 pcap_timed[DP_MAX_PORTS][RTE_ETH_NAME_MAX_LEN];
static unsigned int		 npcap_timed;
int				 dp_time_offset = -1;
uint64_t			 dp_time_flag;

/* The counters of generations that are gone, for the totals. */
static json_t			*past;

static void	usage(int) __attribute__((noreturn));

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: vnb-dataplane [-dhVv] -c FILE [--pcap FILE[,loop]] "
	    "[-i IFACE] [--egress PORT]\n"
	    "                     [--workers N] [--pidfile FILE] "
	    "[--stats-interval SECONDS] [--stats-json]\n"
	    "                     [--plugin NAME=PATH[,KEY=VALUE...]] "
	    "[--plugin-dir DIR] [--memory MB]\n"
	    "                     [--mbufs N] [--idle-exit SECONDS] "
	    "[-- EAL OPTIONS]\n");
	exit(status);
}

/* --- the egress port, for plugins -------------------------------- */

/*
 * Send one frame on the egress port from worker w (or from the control
 * thread, w == nworkers: its own queue).
 */
int
dp_egress_send(unsigned int w, const void *frame, size_t len)
{
	struct rte_mbuf	*m;
	struct worker	*wk = w < nworkers ? &workers[w] : NULL;
	char		*p;

	if (egress_port < 0 || len > RTE_MBUF_DEFAULT_DATAROOM)
		goto drop;
	if ((m = rte_pktmbuf_alloc(egress_pool)) == NULL)
		goto drop;
	if ((p = rte_pktmbuf_append(m, (uint16_t)len)) == NULL) {
		rte_pktmbuf_free(m);
		goto drop;
	}
	memcpy(p, frame, len);
	if (rte_eth_tx_burst((uint16_t)egress_port, (uint16_t)w, &m, 1) != 1) {
		rte_pktmbuf_free(m);
		goto drop;
	}
	if (wk != NULL)
		wk->egress_sent++;
	return 0;
 drop:
	if (wk != NULL)
		wk->egress_dropped++;
	return -1;
}

/* --- workers ----------------------------------------------------- */

/*
 * Wall time from the TSC, set from the clock at every tick: a burst's
 * time costs a multiplication, not a system call.  mult is nanoseconds
 * per TSC cycle in 32.32 fixed point; a tick comes every millisecond, far
 * sooner than the product could overflow (seconds).
 */
struct worker_clock {
	uint64_t	ns;
	uint64_t	tsc;
	uint64_t	mult;
};

static inline uint64_t
worker_clock_now(const struct worker_clock *c, uint64_t tsc)
{
	return c->ns + (((tsc - c->tsc) * c->mult) >> 32);
}

static int
worker_main(void *arg)
{
	struct worker		*wk = arg;
	struct rte_mbuf		*m[DP_BURST];
	struct dp_gen		*g;
	struct worker_clock	 clk;
	uint64_t		 tick_tsc, next_tick = 0, now;
	unsigned int		 i;
	uint16_t		 n;
	int			 p;

	tick_tsc = rte_get_tsc_hz() / 1000;
	clk.mult = (1000000000ull << 32) / rte_get_tsc_hz();
	clk.tsc = rte_rdtsc();
	clk.ns = dp_now_ns();
	rte_rcu_qsbr_thread_register(rcu, wk->id);
	rte_rcu_qsbr_thread_online(rcu, wk->id);
	while (!quit) {
		g = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
		for (i = 0; i < wk->nrxq; i++) {
			n = rte_eth_rx_burst(wk->rxq[i].port, wk->rxq[i].queue,
			    m, DP_BURST);
			if (n == 0)
				continue;
			dp_process(g, wk->id, wk->rxq[i].port, m, n,
			    &wk->count, worker_clock_now(&clk, rte_rdtsc()));
			rte_pktmbuf_free_bulk(m, n);
		}
		if ((now = rte_rdtsc()) >= next_tick) {
			next_tick = now + tick_tsc;
			clk.tsc = now;
			clk.ns = dp_now_ns();
			for (p = 0; p < DP_NPLUGINS; p++)
				if (g->inst[p] != NULL &&
				    g->plugins[p]->ops->tick != NULL)
					g->plugins[p]->ops->tick(g->inst[p],
					    wk->id, clk.ns);
		}
		/* Done with g until the next load of current. */
		rte_rcu_qsbr_quiescent(rcu, wk->id);
	}
	rte_rcu_qsbr_thread_offline(rcu, wk->id);
	rte_rcu_qsbr_thread_unregister(rcu, wk->id);
	return 0;
}

/* --- counters ---------------------------------------------------- */

struct plugin_counters {
	json_t	*obj;
};

static void
plugin_counter(void *arg, const char *name, uint64_t value)
{
	json_object_set_new(arg, name, json_integer((json_int_t)value));
}

static json_t *
gen_counters(const struct dp_gen *g)
{
	struct dp_gen_count	sum;
	unsigned int		w;
	int			p;

	memset(&sum, 0, sizeof(sum));
	for (w = 0; w < g->nworkers; w++) {
		sum.packets += g->count[w].packets;
		sum.matched += g->count[w].matched;
		sum.forwarded += g->count[w].forwarded;
		sum.dropped += g->count[w].dropped;
		for (p = 0; p < DP_NPLUGINS; p++)
			sum.plugin[p] += g->count[w].plugin[p];
	}
	return json_pack("{s:I,s:I,s:I,s:I,s:I}", "generation",
	    (json_int_t)g->generation, "packets", (json_int_t)sum.packets,
	    "matched", (json_int_t)sum.matched, "forwarded",
	    (json_int_t)sum.forwarded, "dropped", (json_int_t)sum.dropped);
}

/* Everything the dataplane counts, as one JSON object. */
static json_t *
counters(const struct dp_gen *g)
{
	struct rte_eth_stats	 es;
	struct dp_worker_count	 sum;
	struct rte_eth_dev_info	 di;
	json_t			*o, *ports, *mal, *gens, *rules, *plug, *c;
	uint64_t		 hits, bytes, esent = 0, edrop = 0, handed;
	char			 name[RTE_ETH_NAME_MAX_LEN];
	unsigned int		 w, i, e;
	size_t			 pi, r;
	int			 p;

	memset(&sum, 0, sizeof(sum));
	for (w = 0; w < nworkers; w++) {
		sum.rx_packets += workers[w].count.rx_packets;
		sum.rx_bytes += workers[w].count.rx_bytes;
		sum.no_source += workers[w].count.no_source;
		for (e = 0; e < PKT_ERR_MAX; e++)
			sum.malformed[e] += workers[w].count.malformed[e];
		esent += workers[w].egress_sent;
		edrop += workers[w].egress_dropped;
	}
	o = json_pack("{s:s,s:I,s:f,s:I,s:I,s:I}", "scope", g->scope,
	    "generation", (json_int_t)g->generation, "uptime",
	    (double)(dp_now_ns() - started_ns) / 1e9, "packets",
	    (json_int_t)sum.rx_packets, "bytes", (json_int_t)sum.rx_bytes,
	    "no-source", (json_int_t)sum.no_source);

	mal = json_object();
	for (e = 1, hits = 0; e < PKT_ERR_MAX; e++) {
		hits += sum.malformed[e];
		json_object_set_new(mal, pkt_error_name(e),
		    json_integer((json_int_t)sum.malformed[e]));
	}
	json_object_set_new(mal, "total", json_integer((json_int_t)hits));
	json_object_set_new(o, "malformed", mal);

	ports = json_array();
	for (i = 0; i < nrx_ports; i++) {
		memset(&es, 0, sizeof(es));
		rte_eth_stats_get(rx_ports[i], &es);
		rte_eth_dev_get_name_by_port(rx_ports[i], name);
		json_array_append_new(ports, json_pack("{s:i,s:s,s:I,s:I,s:I,"
		    "s:I}", "port", rx_ports[i], "name", name, "rx-packets",
		    (json_int_t)es.ipackets, "rx-bytes",
		    (json_int_t)es.ibytes, "rx-missed",
		    (json_int_t)es.imissed, "rx-errors",
		    (json_int_t)es.ierrors));
	}
	json_object_set_new(o, "ports", ports);
	if (egress_port >= 0) {
		memset(&es, 0, sizeof(es));
		rte_eth_stats_get((uint16_t)egress_port, &es);
		rte_eth_dev_info_get((uint16_t)egress_port, &di);
		json_object_set_new(o, "egress", json_pack("{s:I,s:I,s:I}",
		    "sent", (json_int_t)esent, "dropped", (json_int_t)edrop,
		    "tx-packets", (json_int_t)es.opackets));
	}

	gens = json_deep_copy(past);
	json_array_append_new(gens, gen_counters(g));
	json_object_set_new(o, "generations", gens);

	rules = json_array();
	for (pi = 0; pi < g->npolicies; pi++) {
		for (r = 0; r < g->policies[pi].nrules; r++) {
			const struct dp_rule	*rule =
			    &g->policies[pi].rules[r];

			hits = bytes = 0;
			for (w = 0; w < g->nworkers; w++) {
				hits += g->rule_count[(size_t)w * g->nrules +
				    rule->stat].hits;
				bytes += g->rule_count[(size_t)w * g->nrules +
				    rule->stat].bytes;
			}
			json_array_append_new(rules, json_pack("{s:s,s:s,s:I,"
			    "s:I}", "policy", g->policies[pi].name, "rule",
			    rule->name, "hits", (json_int_t)hits, "bytes",
			    (json_int_t)bytes));
		}
	}
	json_object_set_new(o, "rules", rules);

	plug = json_object();
	for (p = 0; p < DP_NPLUGINS; p++) {
		if (g->inst[p] == NULL)
			continue;
		for (w = 0, handed = 0; w < g->nworkers; w++)
			handed += g->count[w].plugin[p];
		c = json_object();
		if (g->plugins[p]->ops->counters != NULL)
			g->plugins[p]->ops->counters(g->inst[p],
			    plugin_counter, c);
		json_object_set_new(plug, dp_plugin_names[p], json_pack(
		    "{s:I,s:o}", "packets", (json_int_t)handed, "counters",
		    c));
	}
	json_object_set_new(o, "plugins", plug);
	return o;
}

/* For people: a few lines; for scripts: one JSON object per line. */
static void
print_counters(const struct dp_gen *g, const char *when)
{
	json_t		*o = counters(g), *v, *x;
	const char	*key;
	size_t		 i;
	char		*text;

	json_object_set_new(o, "event", json_string(when));
	if (opt.stats_json) {
		text = json_dumps(o, JSON_COMPACT);
		printf("%s\n", text);
		free(text);
	} else {
		printf("%s: scope %s generation %" JSON_INTEGER_FORMAT
		    ": %" JSON_INTEGER_FORMAT " packets, %"
		    JSON_INTEGER_FORMAT " malformed, %" JSON_INTEGER_FORMAT
		    " of no source\n", when, g->scope,
		    json_integer_value(json_object_get(o, "generation")),
		    json_integer_value(json_object_get(o, "packets")),
		    json_integer_value(json_object_get(json_object_get(o,
		    "malformed"), "total")),
		    json_integer_value(json_object_get(o, "no-source")));
		json_array_foreach(json_object_get(o, "ports"), i, v)
			printf("  port %" JSON_INTEGER_FORMAT " %s: rx %"
			    JSON_INTEGER_FORMAT " packets, %"
			    JSON_INTEGER_FORMAT " missed\n",
			    json_integer_value(json_object_get(v, "port")),
			    json_string_value(json_object_get(v, "name")),
			    json_integer_value(json_object_get(v,
			    "rx-packets")),
			    json_integer_value(json_object_get(v,
			    "rx-missed")));
		json_array_foreach(json_object_get(o, "generations"), i, v)
			printf("  generation %" JSON_INTEGER_FORMAT ": %"
			    JSON_INTEGER_FORMAT " classified, %"
			    JSON_INTEGER_FORMAT " matched, %"
			    JSON_INTEGER_FORMAT " forwarded, %"
			    JSON_INTEGER_FORMAT " dropped\n",
			    json_integer_value(json_object_get(v,
			    "generation")),
			    json_integer_value(json_object_get(v, "packets")),
			    json_integer_value(json_object_get(v, "matched")),
			    json_integer_value(json_object_get(v,
			    "forwarded")),
			    json_integer_value(json_object_get(v, "dropped")));
		json_array_foreach(json_object_get(o, "rules"), i, v)
			printf("  rule %s (policy %s): %" JSON_INTEGER_FORMAT
			    " hits, %" JSON_INTEGER_FORMAT " bytes\n",
			    json_string_value(json_object_get(v, "rule")),
			    json_string_value(json_object_get(v, "policy")),
			    json_integer_value(json_object_get(v, "hits")),
			    json_integer_value(json_object_get(v, "bytes")));
		json_object_foreach(json_object_get(o, "plugins"), key, v) {
			printf("  plugin %s: %" JSON_INTEGER_FORMAT
			    " packets", key, json_integer_value(
			    json_object_get(v, "packets")));
			json_object_foreach(json_object_get(v, "counters"),
			    key, x)
				printf(", %s %" JSON_INTEGER_FORMAT, key,
				    json_integer_value(x));
			printf("\n");
		}
	}
	fflush(stdout);
	json_decref(o);
}

/* --- generations ------------------------------------------------- */

/*
 * Build the generation in the configuration file beside the running one,
 * publish it, wait until no worker can see the old one, and free that.
 * A file that cannot be loaded leaves the running generation in place.
 */
static int
reload(void)
{
	struct dp_gen	*g, *old = current;
	char		 err[512];

	if ((g = dp_gen_load(opt.config, old, plugins, nworkers, err,
	    sizeof(err))) == NULL) {
		log_warnx("%s: %s; generation %ld stays active", opt.config,
		    err, old->generation);
		return -1;
	}
	__atomic_store_n(&current, g, __ATOMIC_RELEASE);
	rte_rcu_qsbr_synchronize(rcu, RTE_QSBR_THRID_INVALID);
	json_array_append_new(past, gen_counters(old));
	dp_gen_free(old, g);
	log_info("generation %ld active (%s)", g->generation, g->hash);
	return 0;
}

/* --- ports ------------------------------------------------------- */

/*
 * net_pcap gives each packet its capture time (in microseconds) when asked
 * to, so that a capture file replays with the times it was taken at.
 */
static int
port_timed(uint16_t port, const struct rte_eth_dev_info *info)
{
	char		name[RTE_ETH_NAME_MAX_LEN];
	unsigned int	i;

	if (!(info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP))
		return 0;
	rte_eth_dev_get_name_by_port(port, name);
	for (i = 0; i < npcap_timed; i++)
		if (strcmp(name, pcap_timed[i]) == 0)
			return 1;
	return 0;
}

static int
port_setup(uint16_t port, uint16_t nrxq, uint16_t ntxq,
    struct rte_mempool *mp)
{
	struct rte_eth_conf	conf;
	struct rte_eth_dev_info	info;
	char			name[RTE_ETH_NAME_MAX_LEN];
	uint16_t		q;
	int			rc, sock = rte_eth_dev_socket_id(port);

	memset(&conf, 0, sizeof(conf));
	rte_eth_dev_get_name_by_port(port, name);
	if ((rc = rte_eth_dev_info_get(port, &info)) != 0) {
		log_warnx("port %u (%s): %s", port, name, rte_strerror(-rc));
		return -1;
	}
	if (nrxq > 1 && info.flow_type_rss_offloads != 0) {
		/* Symmetric enough for monitoring: a flow stays on a queue. */
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
		    (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	}
	if (port_timed(port, &info))
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	if ((rc = rte_eth_dev_configure(port, nrxq, ntxq, &conf)) != 0) {
		log_warnx("port %u (%s): configure: %s", port, name,
		    rte_strerror(-rc));
		return -1;
	}
	for (q = 0; q < nrxq; q++)
		if ((rc = rte_eth_rx_queue_setup(port, q, RX_RING,
		    sock < 0 ? 0 : (unsigned int)sock, NULL, mp)) != 0) {
			log_warnx("port %u (%s): rx queue %u: %s", port, name,
			    q, rte_strerror(-rc));
			return -1;
		}
	for (q = 0; q < ntxq; q++)
		if ((rc = rte_eth_tx_queue_setup(port, q, TX_RING,
		    sock < 0 ? 0 : (unsigned int)sock, NULL)) != 0) {
			log_warnx("port %u (%s): tx queue %u: %s", port, name,
			    q, rte_strerror(-rc));
			return -1;
		}
	if ((rc = rte_eth_dev_start(port)) != 0) {
		log_warnx("port %u (%s): start: %s", port, name,
		    rte_strerror(-rc));
		return -1;
	}
	rte_eth_promiscuous_enable(port);
	log_info("port %u (%s): %u rx queue%s", port, name, nrxq,
	    nrxq == 1 ? "" : "s");
	return 0;
}

/* The name of a port given as a vdev string: up to the first comma. */
static int
port_by_spec(const char *spec)
{
	char		name[RTE_ETH_NAME_MAX_LEN];
	uint16_t	port;

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(spec, ","), spec);
	if (rte_eth_dev_get_port_by_name(name, &port) != 0)
		return -1;
	return port;
}

static int
ports_setup(void)
{
	struct rte_eth_dev_info	info;
	uint16_t		port, nq, q;
	unsigned int		w, i;

	RTE_ETH_FOREACH_DEV(port) {
		if ((int)port == egress_port)
			continue;
		if (nrx_ports == DP_MAX_PORTS) {
			log_warnx("more than %d ports", DP_MAX_PORTS);
			return -1;
		}
		rx_ports[nrx_ports++] = port;
	}
	if (nrx_ports == 0) {
		log_warnx("no port to receive on: give --pcap, -i or an EAL "
		    "device");
		return -1;
	}
	for (i = 0; i < nrx_ports; i++) {
		port = rx_ports[i];
		rte_eth_dev_info_get(port, &info);
		nq = (uint16_t)RTE_MIN((unsigned int)info.max_rx_queues,
		    nworkers);
		if (nq == 0)
			nq = 1;
		/*
		 * Some PMDs (net_tap) want as many transmit queues as receive
		 * queues, though nothing is sent on these ports.
		 */
		if (port_setup(port, nq, nq, pool) == -1)
			return -1;
		for (q = 0; q < nq; q++) {
			w = (i + q) % nworkers;
			workers[w].rxq[workers[w].nrxq].port = port;
			workers[w].rxq[workers[w].nrxq].queue = q;
			workers[w].nrxq++;
		}
	}
	if (egress_port >= 0) {
		/* Each worker and the control thread sends on its own queue. */
		rte_eth_dev_info_get((uint16_t)egress_port, &info);
		if (info.max_tx_queues < nworkers + 1) {
			log_warnx("egress port %s has %u transmit queues; %u "
			    "workers need %u (net_pcap: one tx_pcap each)",
			    opt.egress, info.max_tx_queues, nworkers,
			    nworkers + 1);
			return -1;
		}
		if (port_setup((uint16_t)egress_port, 0,
		    (uint16_t)(nworkers + 1), pool) == -1)
			return -1;
	}
	if (npcap_timed > 0 && rte_mbuf_dyn_rx_timestamp_register(
	    &dp_time_offset, &dp_time_flag) != 0)
		dp_time_offset = -1;
	for (w = 0; w < nworkers; w++)
		if (workers[w].nrxq == 0)
			log_warnx("worker %u has no queue to poll: more workers "
			    "than receive queues", w);
	return 0;
}

/* --- start-up ---------------------------------------------------- */

/* Frames in a capture file, for sizing the pool of a looped one. */
static unsigned long
pcap_frames(const char *path)
{
	FILE		*fp;
	uint32_t	 hdr[6], rec[4];
	unsigned long	 n = 0;
	int		 swap;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	if (fread(hdr, sizeof(hdr), 1, fp) == 1) {
		swap = hdr[0] == 0xd4c3b2a1 || hdr[0] == 0x4d3cb2a1;
		while (fread(rec, sizeof(rec), 1, fp) == 1) {
			n++;
			if (fseek(fp, swap ? __builtin_bswap32(rec[2]) :
			    rec[2], SEEK_CUR) == -1)
				break;
		}
	}
	fclose(fp);
	return n;
}

/*
 * Hugepages EAL can use: some free, and a hugetlbfs mounted to map them
 * from, without which EAL refuses to start.
 */
static int
hugepages_usable(void)
{
	FILE	*fp;
	char	 line[512], type[64];
	long	 n = 0;
	int	 mounted = 0;

	if ((fp = fopen("/proc/meminfo", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(fp);
	if (n <= 0 || (fp = fopen("/proc/mounts", "r")) == NULL)
		return 0;
	while (!mounted && fgets(line, sizeof(line), fp) != NULL)
		mounted = sscanf(line, "%*s %*s %63s", type) == 1 &&
		    strcmp(type, "hugetlbfs") == 0;
	fclose(fp);
	return mounted;
}

static void
add_vdev(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
add_vdev(const char *fmt, ...)
{
	va_list	ap;
	char	*s;

	if (opt.nvdevs == VDEV_MAX)
		fatalx("too many ports");
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	opt.vdevs[opt.nvdevs++] = s;
}

static int
eal_has(const char *a, const char *b)
{
	int	i;

	for (i = 0; i < opt.neal; i++)
		if (strcmp(opt.eal[i], a) == 0 || (b != NULL &&
		    strncmp(opt.eal[i], b, strlen(b)) == 0))
			return 1;
	return 0;
}

/*
 * EAL's arguments: lcores for the control thread and the workers, the
 * ports as vdevs, memory without hugepages when there are none, and no
 * shared files, so that several dataplanes and tests run side by side.
 */
static int
eal_start(const char *argv0)
{
	char		*argv[EAL_ARGS_MAX + VDEV_MAX + 8];
	char		 lcores[64], mem[32], prefix[80];
	unsigned int	 i, ncpu;
	int		 argc = 0, rc;
	long		 cpus = sysconf(_SC_NPROCESSORS_ONLN);

	ncpu = cpus > 0 ? (unsigned int)cpus : 1;
	argv[argc++] = (char *)argv0;
	if (!eal_has("-l", "--lcores") && !eal_has("-c", NULL)) {
		if (nworkers + 1 <= ncpu)
			snprintf(lcores, sizeof(lcores), "-l0-%u", nworkers);
		else
			snprintf(lcores, sizeof(lcores), "--lcores=(0-%u)@"
			    "(0-%u)", nworkers, ncpu - 1);
		argv[argc++] = lcores;
	}
	if (!eal_has("--huge-dir", NULL) && !hugepages_usable() &&
	    !eal_has("--no-huge", NULL)) {
		argv[argc++] = "--no-huge";
		snprintf(mem, sizeof(mem), "-m%u", opt.memory_mb);
		argv[argc++] = mem;
	} else if (!eal_has("--no-huge", NULL) &&
	    !eal_has("--huge-unlink", "--huge-unlink=")) {
		/*
		 * The files that back hugepages are named after the file
		 * prefix, which is ours alone: left behind, their pages
		 * would stay taken after we exit.
		 */
		argv[argc++] = "--huge-unlink";
	}
	if (!eal_has("-a", "--allow") && !eal_has("-b", "--block"))
		argv[argc++] = "--no-pci";
	if (!eal_has("--file-prefix", NULL)) {
		snprintf(eal_prefix, sizeof(eal_prefix), "vnb-dataplane-%ld",
		    (long)getpid());
		snprintf(prefix, sizeof(prefix), "--file-prefix=%s",
		    eal_prefix);
		argv[argc++] = prefix;
	}
	argv[argc++] = "--no-shconf";
	argv[argc++] = "--no-telemetry";
	argv[argc++] = opt.verbose > 1 ? "--log-level=6" : "--log-level=4";
	/*
	 * rte_acl reports running out of tries as an error even when the
	 * classifier then splits its rules and builds; cls_build() reports
	 * real failures itself.
	 */
	if (opt.verbose < 2)
		argv[argc++] = "--log-level=lib.acl:3";
	for (i = 0; i < opt.nvdevs; i++) {
		argv[argc++] = "--vdev";
		argv[argc++] = opt.vdevs[i];
	}
	for (i = 0; i < (unsigned int)opt.neal && argc < EAL_ARGS_MAX; i++)
		argv[argc++] = opt.eal[i];
	argv[argc] = NULL;
	if (opt.verbose > 1) {
		for (i = 0; i < (unsigned int)argc; i++)
			log_debug("EAL argument: %s", argv[i]);
	}
	if ((rc = rte_eal_init(argc, argv)) < 0) {
		log_warnx("cannot start EAL: %s", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static void
eal_cleanup(void)
{
	char	*dir;

	rte_eal_cleanup();
	if (eal_prefix[0] != '\0') {
		/* EAL leaves its runtime directory behind. */
		dir = xasprintf("/var/run/dpdk/%s", eal_prefix);
		rmdir(dir);
		free(dir);
	}
}

static void
load_plugins(void)
{
	char		 err[512], *path;
	const char	*dir;
	int		 p;

	for (p = 0; p < DP_NPLUGINS; p++) {
		if (opt.plugins[p].path != NULL)
			path = xstrdup(opt.plugins[p].path);
		else {
			dir = opt.plugin_dir ? opt.plugin_dir : VNB_PLUGINDIR;
			path = xasprintf("%s/%s.so", dir, dp_plugin_names[p]);
			if (access(path, F_OK) == -1) {
				log_debug("no %s plugin at %s",
				    dp_plugin_names[p], path);
				free(path);
				continue;
			}
		}
		plugins[p] = dp_plugin_open(dp_plugin_names[p], path,
		    opt.plugins[p].args, nworkers, err, sizeof(err));
		if (plugins[p] == NULL)
			log_warnx("%s", err);
		else
			log_info("plugin %s: %s", dp_plugin_names[p], path);
		free(path);
	}
}

/* --plugin NAME=PATH[,KEY=VALUE...] */
static void
plugin_option(const char *arg)
{
	const char	*eq = strchr(arg, '='), *comma;
	char		*name;
	int		 p;

	if (eq == NULL)
		usage(2);
	name = xstrndup(arg, (size_t)(eq - arg));
	for (p = 0; p < DP_NPLUGINS; p++)
		if (strcmp(name, dp_plugin_names[p]) == 0)
			break;
	if (p == DP_NPLUGINS) {
		log_warnx("--plugin: unknown plugin '%s' (netflow, sflow or "
		    "rawforward)", name);
		usage(2);
	}
	free(name);
	comma = strchr(eq + 1, ',');
	opt.plugins[p].path = comma ? xstrndup(eq + 1,
	    (size_t)(comma - eq - 1)) : eq + 1;
	opt.plugins[p].args = comma ? comma + 1 : NULL;
}

static uint64_t
seconds_option(const char *name, const char *arg)
{
	struct vnb_error	err;
	uint64_t		ms;

	if (parse_duration(arg, &ms, &err) == -1) {
		log_warnx("%s: %s", name, err.msg);
		usage(2);
	}
	return ms;
}

static void
parse_options(int argc, char **argv)
{
	enum {
		OPT_PCAP = 256, OPT_EGRESS, OPT_WORKERS, OPT_PIDFILE,
		OPT_STATS, OPT_STATS_JSON, OPT_PLUGIN, OPT_PLUGIN_DIR,
		OPT_MEMORY, OPT_MBUFS, OPT_IDLE,
	};
	static const struct option longopts[] = {
		{ "config",		required_argument, NULL, 'c' },
		{ "foreground",		no_argument,	   NULL, 'd' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ "interface",		required_argument, NULL, 'i' },
		{ "version",		no_argument,	   NULL, 'V' },
		{ "verbose",		no_argument,	   NULL, 'v' },
		{ "pcap",		required_argument, NULL, OPT_PCAP },
		{ "egress",		required_argument, NULL, OPT_EGRESS },
		{ "workers",		required_argument, NULL, OPT_WORKERS },
		{ "pidfile",		required_argument, NULL, OPT_PIDFILE },
		{ "stats-interval",	required_argument, NULL, OPT_STATS },
		{ "stats-json",		no_argument,	   NULL,
		    OPT_STATS_JSON },
		{ "plugin",		required_argument, NULL, OPT_PLUGIN },
		{ "plugin-dir",		required_argument, NULL,
		    OPT_PLUGIN_DIR },
		{ "memory",		required_argument, NULL, OPT_MEMORY },
		{ "mbufs",		required_argument, NULL, OPT_MBUFS },
		{ "idle-exit",		required_argument, NULL, OPT_IDLE },
		{ NULL,			0,		   NULL, 0 }
	};
	struct vnb_error	 err;
	uint64_t		 v;
	unsigned long		 loop_frames = 0;
	char			*path, *comma;
	const char		*ifaces[DP_MAX_PORTS];
	int			 ch, npcap = 0, nif = 0, i;

	opt.workers = 1;
	while ((ch = getopt_long(argc, argv, "c:dhi:Vv", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			opt.config = optarg;
			break;
		case 'd':
			opt.foreground = 1;
			break;
		case 'h':
			usage(0);
		case 'i':
			if (nif == DP_MAX_PORTS)
				usage(2);
			ifaces[nif++] = optarg;
			break;
		case 'V':
			printf("vnb-dataplane (vnb) %s\n", PACKAGE_VERSION);
			exit(0);
		case 'v':
			opt.verbose++;
			break;
		case OPT_PCAP:
			path = xstrdup(optarg);
			comma = strrchr(path, ',');
			if (comma != NULL && strcmp(comma, ",loop") == 0) {
				*comma = '\0';
				loop_frames += pcap_frames(path);
				add_vdev("net_pcap%d,rx_pcap=%s,infinite_rx=1",
				    npcap++, path);
			} else {
				if (npcap_timed == DP_MAX_PORTS)
					fatalx("too many ports");
				snprintf(pcap_timed[npcap_timed++],
				    sizeof(pcap_timed[0]), "net_pcap%d", npcap);
				add_vdev("net_pcap%d,rx_pcap=%s", npcap++,
				    path);
			}
			if (access(path, R_OK) == -1) {
				log_warn("--pcap %s", path);
				exit(1);
			}
			free(path);
			break;
		case OPT_EGRESS:
			opt.egress = optarg;
			break;
		case OPT_WORKERS:
			if (parse_uint(optarg, 1, DP_MAX_WORKERS, &v, &err) ==
			    -1) {
				log_warnx("--workers: %s", err.msg);
				usage(2);
			}
			opt.workers = (unsigned int)v;
			break;
		case OPT_PIDFILE:
			opt.pidfile = optarg;
			break;
		case OPT_STATS:
			opt.stats_ms = seconds_option("--stats-interval",
			    optarg);
			break;
		case OPT_STATS_JSON:
			opt.stats_json = 1;
			break;
		case OPT_PLUGIN:
			plugin_option(optarg);
			break;
		case OPT_PLUGIN_DIR:
			opt.plugin_dir = optarg;
			break;
		case OPT_MEMORY:
			if (parse_uint(optarg, 64, 1 << 20, &v, &err) == -1) {
				log_warnx("--memory: %s", err.msg);
				usage(2);
			}
			opt.memory_mb = (unsigned int)v;
			break;
		case OPT_MBUFS:
			if (parse_uint(optarg, 1024, 1 << 24, &v, &err) ==
			    -1) {
				log_warnx("--mbufs: %s", err.msg);
				usage(2);
			}
			opt.mbufs = (unsigned int)v;
			break;
		case OPT_IDLE:
			opt.idle_exit_ms = seconds_option("--idle-exit",
			    optarg);
			break;
		default:
			usage(2);
		}
	}
	if (opt.config == NULL) {
		log_warnx("no configuration file: give -c FILE");
		usage(2);
	}
	opt.eal = argv + optind;
	opt.neal = argc - optind;
	/* af_packet spreads flows over its queues by hash (fanout). */
	for (i = 0; i < nif; i++)
		add_vdev("net_af_packet%d,iface=%s,qpairs=%u", i, ifaces[i],
		    opt.workers);
	if (opt.egress != NULL && strncmp(opt.egress, "net_", 4) == 0)
		add_vdev("%s", opt.egress);

	/*
	 * The pool holds the receive rings, the per-lcore caches and the
	 * whole of each looped capture, which net_pcap keeps in mbufs.
	 */
	nworkers = opt.workers;
	if (opt.mbufs == 0)
		opt.mbufs = (unsigned int)(RX_RING * (opt.nvdevs + 1) *
		    nworkers + MBUF_CACHE * (nworkers + 1) * 2 +
		    loop_frames + 8192);
	if (opt.memory_mb == 0)
		opt.memory_mb = 256 + (unsigned int)(((uint64_t)opt.mbufs +
		    EGRESS_MBUFS) * 4 / 1024);
}

static void
daemonize(void)
{
	int	fd;

	if (daemon(1, 1) == -1)
		fatal("daemon");
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	log_init("vnb-dataplane", 0, opt.verbose);
}

int
main(int argc, char **argv)
{
	struct vnb_error	 err;
	struct dp_gen		*g;
	sigset_t		 sigs;
	siginfo_t		 si;
	struct timespec		 wait = { 0, 10 * 1000 * 1000 };
	char			 errbuf[512];
	uint64_t		 now, next_stats, last_rx = 0, idle_since, rx;
	unsigned int		 w, lcore;
	int			 sig, p, rc = 1;

	log_init("vnb-dataplane", 1, 0);
	parse_options(argc, argv);
	log_setverbose(opt.verbose);
	if (!opt.foreground)
		daemonize();

	/* Workers inherit a mask that leaves every signal to us. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	if (eal_start(argv[0]) == -1)
		return 1;
	if (rte_lcore_count() < nworkers + 1) {
		log_warnx("EAL gave %u lcores; %u workers need %u",
		    rte_lcore_count(), nworkers, nworkers + 1);
		goto out_eal;
	}
	if (opt.egress != NULL && (egress_port = port_by_spec(opt.egress)) ==
	    -1) {
		log_warnx("--egress %s: no such port", opt.egress);
		goto out_eal;
	}
	pool = rte_pktmbuf_pool_create("vnb-rx", opt.mbufs, MBUF_CACHE, 0,
	    RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	egress_pool = rte_pktmbuf_pool_create("vnb-egress", EGRESS_MBUFS,
	    MBUF_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pool == NULL || egress_pool == NULL) {
		log_warnx("cannot make a pool of %u mbufs in %u MB: %s (give "
		    "--memory or --mbufs)", opt.mbufs, opt.memory_mb,
		    rte_strerror(rte_errno));
		goto out_eal;
	}
	for (w = 0; w < nworkers; w++)
		workers[w].id = w;
	if (ports_setup() == -1)
		goto out_eal;
	load_plugins();

	started_ns = dp_now_ns();
	past = json_array();
	if ((g = dp_gen_load(opt.config, NULL, plugins, nworkers, errbuf,
	    sizeof(errbuf))) == NULL) {
		log_warnx("%s: %s", opt.config, errbuf);
		goto out_eal;
	}
	current = g;
	log_info("generation %ld active (%s)", g->generation, g->hash);
	/* Written once there is a generation to signal about. */
	if (opt.pidfile != NULL && pidfile_write(opt.pidfile, &err) == -1) {
		log_warnx("%s", err.msg);
		goto out_gen;
	}

	rcu = rte_zmalloc("vnb-rcu", rte_rcu_qsbr_get_memsize(nworkers),
	    RTE_CACHE_LINE_SIZE);
	if (rcu == NULL || rte_rcu_qsbr_init(rcu, nworkers) != 0) {
		log_warnx("cannot set up RCU");
		goto out_gen;
	}
	w = 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (w == nworkers)
			break;
		workers[w].lcore = lcore;
		rte_eal_remote_launch(worker_main, &workers[w], lcore);
		w++;
	}

	next_stats = opt.stats_ms ? dp_now_ns() + opt.stats_ms * 1000000 :
	    UINT64_MAX;
	idle_since = dp_now_ns();
	while (!quit) {
		sig = sigtimedwait(&sigs, &si, &wait);
		if (sig == SIGHUP)
			reload();
		else if (sig == SIGTERM || sig == SIGINT)
			quit = 1;
		else if (sig == SIGUSR1)
			print_counters(current, "counters");
		now = dp_now_ns();
		if (now >= next_stats) {
			print_counters(current, "interval");
			next_stats = now + opt.stats_ms * 1000000;
		}
		if (opt.idle_exit_ms) {
			for (w = 0, rx = 0; w < nworkers; w++)
				rx += workers[w].count.rx_packets;
			if (rx != last_rx) {
				last_rx = rx;
				idle_since = now;
			} else if (now - idle_since >= opt.idle_exit_ms *
			    1000000) {
				log_info("nothing received for %" PRIu64
				    " ms: exiting", opt.idle_exit_ms);
				quit = 1;
			}
		}
	}
	rte_eal_mp_wait_lcore();
	print_counters(current, "exit");
	rc = 0;
	if (opt.pidfile != NULL)
		pidfile_remove(opt.pidfile);

 out_gen:
	dp_gen_free(current, NULL);
	for (p = 0; p < DP_NPLUGINS; p++)
		dp_plugin_close(plugins[p]);
	json_decref(past);
	rte_free(rcu);
 out_eal:
	for (w = 0; w < nrx_ports; w++) {
		rte_eth_dev_stop(rx_ports[w]);
		rte_eth_dev_close(rx_ports[w]);
	}
	if (egress_port >= 0) {
		rte_eth_dev_stop((uint16_t)egress_port);
		rte_eth_dev_close((uint16_t)egress_port);
	}
	eal_cleanup();
	return rc;
}
