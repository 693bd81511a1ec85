/*
 * The fast path: one burst of received frames through parsing, the
 * lookup of the sources they belong to, classification against each of
 * their associations' policies, and the hand-off of what the rules
 * forward to the plugins.  Everything here runs on a worker, reads the
 * generation without locks and writes only the worker's own counters.
 */
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "dp.h"

/*
 * Add packet idx, seen in direction dir, to association a's share of the
 * burst.  A frame from a source to itself counts once: the egress pass
 * comes second.
 */
static inline __attribute__((always_inline)) unsigned int
assoc_add(struct dp_scratch *sc, uint32_t a, uint16_t idx, uint8_t dir)
{
	uint16_t	cnt = sc->assoc_n[a];

	if (dir == VNB_DIR_EGRESS && cnt > 0 &&
	    sc->assoc_pkts[a * DP_BURST + cnt - 1] == idx)
		return 0;
	if (cnt == 0)
		sc->touched[sc->ntouched++] = a;
	sc->assoc_pkts[a * DP_BURST + cnt] = idx;
	sc->assoc_dir[a * DP_BURST + cnt] = dir;
	sc->assoc_n[a] = cnt + 1;
	return 1;
}

/*
 * A source owns a packet it sent (ingress) or that was sent to it
 * (egress), if the VLAN and the port fit too.  Inlined: it runs twice a
 * packet, and most of its work is a few loads and compares.
 */
static inline __attribute__((always_inline)) unsigned int
match_sources(const struct dp_gen *g, struct dp_scratch *sc, uint16_t port,
    const struct vnb_pkt_info *info, uint16_t idx, const uint8_t *mac,
    uint8_t dir)
{
	const struct dp_mac_slot	*ms;
	const struct dp_source		*src;
	const struct dp_src_assoc	*sa, *end;
	uint32_t			 i;
	unsigned int			 added = 0;

	if ((ms = dp_gen_slot(g, mac)) == NULL)
		return 0;
	if (ms->assoc != DP_ASSOC_NONE)
		return ms->directions & dir ?
		    assoc_add(sc, ms->assoc, idx, dir) : 0;
	src = &g->sources[ms->first];
	for (i = 0; i < ms->n; i++, src++) {
		if ((src->vlan != 0 && (!(info->flags & VNB_PKT_VLAN) ||
		    info->vlan != src->vlan)) ||
		    (src->port >= 0 && src->port != port))
			continue;
		sa = &g->src_assocs[g->src_first[src - g->sources]];
		end = &g->src_assocs[g->src_first[src - g->sources + 1]];
		for (; sa < end; sa++)
			if (sa->directions & dir)
				added += assoc_add(sc, sa->assoc, idx, dir);
	}
	return added;
}

/*
 * Count a run of packets that matched the same rule: most bursts are one
 * or a few such runs, so the counters are written once a run, not once a
 * packet.
 */
static inline void
count_run(struct dp_gen_count *gc, struct dp_rule_count *rc,
    const struct dp_rule *rule, uint64_t hits, uint64_t bytes)
{
	if (hits == 0)
		return;
	rc[rule->stat].hits += hits;
	rc[rule->stat].bytes += bytes;
	gc->matched += hits;
	if (rule->drop)
		gc->dropped += hits;
}

/*
 * Process n frames received at time now (ns since the epoch) on port by
 * worker w, with generation g.  The caller frees the mbufs afterwards:
 * plugins copy what they keep.
 */
void
dp_process(struct dp_gen *g, unsigned int w, uint16_t port,
    struct rte_mbuf **m, uint16_t n, struct dp_worker_count *wc, uint64_t now)
{
	struct dp_scratch		*sc = &g->scratch[w];
	struct dp_gen_count		*gc = &g->count[w];
	struct dp_rule_count		*rc = &g->rule_count[(size_t)w *
					    g->nrules];
	struct vnb_pkt_info		 info[DP_BURST];
	const struct vnb_pkt_info	*cls_in[DP_BURST];
	uint32_t			 res[DP_BURST];
	struct vnb_pkt			 out[DP_NPLUGINS][DP_BURST];
	struct vnb_pkt			*outp[DP_NPLUGINS][DP_BURST];
	unsigned int			 nout[DP_NPLUGINS] = { 0 };
	const int			 stamp = dp_time_offset;
	const uint64_t			 stamp_flag = dp_time_flag;
	uint64_t			 rx_bytes = 0;
	uint16_t			 i, k, nbad = 0;
	unsigned int			 found;
	uint32_t			 t, a;
	enum pkt_error			 e;
	int				 p;

	sc->ntouched = 0;
	for (i = 0; i < n; i++) {
		rx_bytes += rte_pktmbuf_pkt_len(m[i]);
		if ((e = pkt_parse(rte_pktmbuf_mtod(m[i], const uint8_t *),
		    rte_pktmbuf_data_len(m[i]), &info[i])) != PKT_OK) {
			wc->malformed[e]++;
			nbad++;
			continue;
		}
		/* A direction that no association wants is not looked up. */
		found = 0;
		if (g->directions & VNB_DIR_INGRESS)
			found += match_sources(g, sc, port, &info[i], i,
			    info[i].smac, VNB_DIR_INGRESS);
		if (g->directions & VNB_DIR_EGRESS)
			found += match_sources(g, sc, port, &info[i], i,
			    info[i].dmac, VNB_DIR_EGRESS);
		if (found == 0)
			wc->no_source++;
	}
	wc->rx_packets += n;
	wc->rx_bytes += rx_bytes;
	gc->packets += n - nbad;

	for (t = 0; t < sc->ntouched; t++) {
		const struct dp_assoc	*as;
		const struct dp_rule	*rule = NULL;
		const uint16_t		*pkts;
		const uint8_t		*dirs;
		struct vnb_pkt		*vp, *po, **pp;
		struct rte_mbuf		*mb;
		uint64_t		 hits = 0, bytes = 0;
		uint32_t		 last = 0, len;
		unsigned int		 np;

		a = sc->touched[t];
		as = &g->assocs[a];
		pkts = &sc->assoc_pkts[a * DP_BURST];
		dirs = &sc->assoc_dir[a * DP_BURST];
		k = sc->assoc_n[a];
		if (as->policy->constant) {
			for (i = 0; i < k; i++)
				res[i] = as->policy->result;
		} else {
			for (i = 0; i < k; i++)
				cls_in[i] = &info[pkts[i]];
			cls_classify(as->policy->cls, cls_in, res, k);
		}
		p = as->plugin;
		po = out[p];
		pp = outp[p];
		np = nout[p];
		for (i = 0; i < k; i++) {
			if (res[i] != last) {
				count_run(gc, rc, rule, hits, bytes);
				hits = bytes = 0;
				last = res[i];
				rule = last != 0 ? &as->policy->rules[last - 1] :
				    NULL;
			}
			if (last == 0)
				continue;
			mb = m[pkts[i]];
			len = rte_pktmbuf_pkt_len(mb);
			hits++;
			bytes += len;
			if (rule->drop)
				continue;
			vp = &po[np];
			vp->data = rte_pktmbuf_mtod(mb, const uint8_t *);
			vp->wire_len = len;
			vp->len = rte_pktmbuf_data_len(mb);
			if (rule->truncate != 0 && rule->truncate < vp->len)
				vp->len = rule->truncate;
			vp->time_ns = now;
			if (stamp >= 0 && (mb->ol_flags & stamp_flag))
				vp->time_ns = *RTE_MBUF_DYNFIELD(mb, stamp,
				    uint64_t *) * 1000;
			vp->port = port;
			vp->direction = dirs[i];
			vp->association = as->index;
			vp->rule = last - 1;
			vp->info = &info[pkts[i]];
			vp->mbuf = mb;
			pp[np] = vp;
			/*
			 * A plugin's batch holds a burst per association;
			 * hand it over when it is full.
			 */
			if (++np == DP_BURST) {
				g->plugins[p]->ops->handle(g->inst[p], w, pp,
				    np);
				gc->plugin[p] += np;
				gc->forwarded += np;
				np = 0;
			}
		}
		count_run(gc, rc, rule, hits, bytes);
		nout[p] = np;
		sc->assoc_n[a] = 0;
	}
	for (p = 0; p < DP_NPLUGINS; p++) {
		if (nout[p] == 0)
			continue;
		g->plugins[p]->ops->handle(g->inst[p], w, outp[p], nout[p]);
		gc->plugin[p] += nout[p];
		gc->forwarded += nout[p];
	}
}
