/*
 * Benchmark of dataplane/classify.c: for each rule count, build a
 * classifier of that many random rules of the usual kind (a prefix or two,
 * a protocol, a destination port or port range, now and then a source
 * port range) and classify packets in bursts of 32, some of them made to
 * fit a rule, the others random.  Prints the build time, the memory the
 * classifier takes, the time per packet and the largest resident set so
 * far, which includes what rte_acl takes while it builds.  Up to 16
 * rules, it also prints the time per packet of rte_acl alone and of the
 * rules tested one by one, whichever the classifier would choose.
 *
 * Usage: classify-bench [-m MB] [-p PACKETS] [-t SECONDS] [COUNT ...]
 * (default: -m 512 -p 4096 -t 1, 1 4 10 100 1000 10000 rules).
 */
#include <sys/resource.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "eal.h"

#define BURST	32
/* Rule counts up to this compare rte_acl with rules tested in a row. */
#define LINEAR_COMPARE	16

static uint64_t	rng = 0x2545f4914f6cdd1dULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 16) % n);
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
rnd_prefix(int family, unsigned int minlen, struct vnb_prefix *p)
{
	unsigned int	max = family == AF_INET ? 32 : 128, i;

	memset(p, 0, sizeof(*p));
	p->addr.family = (uint8_t)family;
	for (i = 0; i < (family == AF_INET ? 4U : 16U); i++)
		p->addr.u.bytes[i] = (uint8_t)rnd(256);
	if (family == AF_INET6) {
		p->addr.u.bytes[0] = 0x20;
		p->addr.u.bytes[1] = 0x01;
		minlen = minlen * 2 + 16;
	}
	p->len = (uint8_t)(minlen + rnd(max - minlen + 1));
}

static void
rnd_rule(struct cls_rule *r)
{
	static const uint16_t	ports[] = {
		22, 25, 53, 80, 123, 443, 8080
	};
	int			family = rnd(5) == 0 ? AF_INET6 : AF_INET;

	memset(r, 0, sizeof(*r));
	r->smac.any = r->dmac.any = 1;
	r->sport.max = r->dport.max = UINT16_MAX;
	r->family = family;
	if (rnd(2))
		rnd_prefix(family, 16, &r->src);
	rnd_prefix(family, 24, &r->dst);
	r->proto = rnd(10) == 0 ? PARSE_PROTO_ANY : rnd(2) ? 6 : 17;
	switch (rnd(5)) {
	case 0:
		break;
	case 1:
	case 2:
		r->dport.min = r->dport.max = ports[rnd(7)];
		break;
	default:
		r->dport.min = (uint16_t)(1 + rnd(60000));
		r->dport.max = (uint16_t)(r->dport.min + rnd(1000));
	}
	if (rnd(10) == 0)
		r->sport.min = 1024;
}

static void
rnd_pkt(const struct cls_rule *rules, size_t n, struct vnb_pkt_info *pi)
{
	const struct cls_rule	*r = &rules[rnd((uint32_t)n)];
	unsigned int		 i, len;

	memset(pi, 0, sizeof(*pi));
	pi->family = r->family == AF_INET6 ? VNB_FAMILY_IPV6 : VNB_FAMILY_IPV4;
	len = pi->family == VNB_FAMILY_IPV4 ? 4 : 16;
	for (i = 0; i < len; i++) {
		pi->src[i] = (uint8_t)rnd(256);
		pi->dst[i] = (uint8_t)rnd(256);
	}
	pi->proto = rnd(2) ? 6 : 17;
	pi->flags = VNB_PKT_PORTS;
	pi->sport = (uint16_t)(1024 + rnd(64512));
	pi->dport = (uint16_t)rnd(65536);
	if (rnd(2))
		return;

	/* Half the packets fit a rule; an earlier one may still win. */
	if (r->src.addr.family != 0)
		memcpy(pi->src, r->src.addr.u.bytes, (r->src.len + 7) / 8);
	memcpy(pi->dst, r->dst.addr.u.bytes, (r->dst.len + 7) / 8);
	if (r->proto != PARSE_PROTO_ANY)
		pi->proto = (uint8_t)r->proto;
	pi->dport = r->dport.min;
	pi->sport = r->sport.min ? r->sport.min : pi->sport;
}

static long
max_rss_kib(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/*
 * The fastest time per packet of cls over the packets, in slices of a
 * tenth of the run: the machine may be busy with other work meanwhile.
 */
static double
measure(const struct classifier *cls, const struct vnb_pkt_info **pp,
    unsigned int npkts, double seconds, double *match)
{
	uint32_t	res[BURST];
	double		t0, elapsed, best = 0;
	uint64_t	done, total = 0, matched = 0;
	unsigned int	i, j, slice;

	for (slice = 0; slice < 10; slice++) {
		t0 = now();
		done = 0;
		do {
			for (i = 0; i + BURST <= npkts; i += BURST) {
				cls_classify(cls, pp + i, res, BURST);
				for (j = 0; j < BURST; j++)
					matched += res[j] != 0;
			}
			done += i;
			elapsed = now() - t0;
		} while (elapsed < seconds / 10);
		if (slice == 0 || elapsed / done < best)
			best = elapsed / done;
		total += done;
	}
	*match = 100.0 * matched / total;
	return best * 1e9;
}

static struct classifier *
build(const struct cls_rule *rules, size_t n, unsigned int linear_max,
    double *ms)
{
	struct classifier	*cls;
	char			 errbuf[256];
	double			 t0;

	cls_linear_max = linear_max;
	t0 = now();
	if ((cls = cls_build("bench", rules, n, -1, errbuf,
	    sizeof(errbuf))) == NULL)
		errx(1, "%zu rules: %s", n, errbuf);
	*ms = (now() - t0) * 1e3;
	return cls;
}

static void
bench(size_t n, unsigned int npkts, double seconds)
{
	const struct vnb_pkt_info	**pp;
	struct vnb_pkt_info		 *pi;
	struct cls_rule			 *rules;
	struct classifier		 *cls;
	double				  ms, ns, match, acl, linear;
	unsigned int			  i;

	if ((rules = calloc(n, sizeof(*rules))) == NULL ||
	    (pi = calloc(npkts, sizeof(*pi))) == NULL ||
	    (pp = calloc(npkts, sizeof(*pp))) == NULL)
		err(1, "calloc");
	for (i = 0; i < n; i++)
		rnd_rule(&rules[i]);
	for (i = 0; i < npkts; i++) {
		rnd_pkt(rules, n, &pi[i]);
		pp[i] = &pi[i];
	}

	cls = build(rules, n, CLS_LINEAR_MAX, &ms);
	ns = measure(cls, pp, npkts, seconds, &match);
	printf("%6zu rules  build %9.1f ms  memory %9.1f KiB  "
	    "%6.1f ns/packet  %3.0f%% match  max RSS %ld KiB\n", n, ms,
	    cls_memory(cls) / 1024.0, ns, match, max_rss_kib());
	cls_free(cls);

	/* Where rule by rule stops paying, against rte_acl alone. */
	if (n <= LINEAR_COMPARE) {
		cls = build(rules, n, 0, &ms);
		acl = measure(cls, pp, npkts, seconds, &match);
		cls_free(cls);
		cls = build(rules, n, (unsigned int)n, &ms);
		linear = measure(cls, pp, npkts, seconds, &match);
		cls_free(cls);
		printf("%6s %-30s rte_acl %6.1f, rule by rule %6.1f "
		    "ns/packet\n", "", "", acl, linear);
	}
	free(rules);
	free(pi);
	free(pp);
}

static void
usage(void)
{
	fprintf(stderr, "usage: classify-bench [-m MB] [-p PACKETS] "
	    "[-t SECONDS] [COUNT ...]\n");
	exit(2);
}

static unsigned long
number(const char *s, unsigned long min, unsigned long max)
{
	unsigned long	 v;
	char		*end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		errx(2, "invalid number '%s': must be %lu-%lu", s, min, max);
	return v;
}

int
main(int argc, char **argv)
{
	static const size_t	counts[] = { 1, 4, 10, 100, 1000, 10000 };
	unsigned int		mb = 512, npkts = 4096;
	double			seconds = 1;
	size_t			i;
	int			ch;

	while ((ch = getopt(argc, argv, "m:p:t:")) != -1) {
		switch (ch) {
		case 'm':
			mb = number(optarg, 1, 65536);
			break;
		case 'p':
			npkts = number(optarg, BURST, 1 << 24);
			break;
		case 't':
			seconds = number(optarg, 1, 3600);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if (eal_start("classify-bench", mb) == -1)
		return 1;
	if (argc == 0)
		for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
			bench(counts[i], npkts, seconds);
	for (i = 0; i < (size_t)argc; i++)
		bench(number(argv[i], 0, 10000000), npkts, seconds);
	eal_stop();
	return 0;
}
