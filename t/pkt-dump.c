/*
 * pkt-dump parses every frame of a classic pcap file with the dataplane's
 * pkt_parse() and prints one line a frame, so that the tests can compare
 * what the parser makes of a capture with what vnb-gentraffic put in it.
 * Each frame is copied into a buffer of exactly its length, where
 * AddressSanitizer catches a read past the end.
 *
 * With -b it prints nothing a frame: it loads the capture, parses it
 * PASSES times over and prints the time a frame takes.
 *
 * The pcap reader is the least that reads vnb-gentraffic's files and
 * tcpdump's: either byte order, microsecond or nanosecond timestamps,
 * Ethernet only.
 */
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pkt.h"

#define PCAP_MAGIC_US	0xa1b2c3d4
#define PCAP_MAGIC_NS	0xa1b23c4d
#define PCAP_ETHERNET	1
#define PCAP_MAXFRAME	262144	/* tcpdump's largest snapshot length */

struct pcap {
	FILE		*fp;
	const char	*path;
	int		 swap;		/* written in the other byte order */
};

static const char *const flag_names[] = {
	"vlan", "qinq", "ports", "fragment", "later", "icmp", "tcp"
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: pkt-dump [-h] [-b PASSES] FILE\n");
}

static uint32_t
pcap_u32(const struct pcap *p, const uint8_t *b)
{
	uint32_t	v;

	v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
	if (p->swap)
		v = (v & 0xff) << 24 | (v & 0xff00) << 8 |
		    (v >> 8 & 0xff00) | v >> 24;
	return v;
}

static void
pcap_open(struct pcap *p, const char *path)
{
	uint8_t		h[24];
	uint32_t	magic;

	p->path = path;
	p->swap = 0;
	if ((p->fp = fopen(path, "rb")) == NULL)
		err(1, "open '%s'", path);
	if (fread(h, sizeof(h), 1, p->fp) != 1)
		errx(1, "'%s': not a pcap file: too short", path);
	magic = pcap_u32(p, h);
	if (magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS) {
		p->swap = 1;
		magic = pcap_u32(p, h);
	}
	if (magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS)
		errx(1, "'%s': not a classic pcap file", path);
	if (pcap_u32(p, h + 20) != PCAP_ETHERNET)
		errx(1, "'%s': link type %" PRIu32 ", not Ethernet", path,
		    pcap_u32(p, h + 20));
}

/*
 * Read the next frame into a buffer of its length, which the caller
 * frees.  Returns 0 at the end of the file.
 */
static int
pcap_next(struct pcap *p, uint8_t **frame, uint32_t *len)
{
	uint8_t	h[16];
	size_t	n;

	if ((n = fread(h, 1, sizeof(h), p->fp)) == 0 && feof(p->fp))
		return 0;
	if (n != sizeof(h))
		errx(1, "'%s': record header cut short", p->path);
	*len = pcap_u32(p, h + 8);
	if (*len > PCAP_MAXFRAME)
		errx(1, "'%s': frame of %" PRIu32 " bytes", p->path, *len);

	/* malloc(0) may return NULL; the parser must not read it anyway. */
	if ((*frame = malloc(*len)) == NULL && *len > 0)
		err(1, "allocate a frame");
	if (*len > 0 && fread(*frame, *len, 1, p->fp) != 1)
		errx(1, "'%s': frame cut short", p->path);
	return 1;
}

static const char *
fmt_addr(const struct vnb_pkt_info *info, const uint8_t *a, char *s,
    size_t size)
{
	if (info->family == VNB_FAMILY_IPV4)
		return inet_ntop(AF_INET, a, s, size);
	if (info->family == VNB_FAMILY_IPV6)
		return inet_ntop(AF_INET6, a, s, size);
	return "-";
}

static const char *
fmt_flags(uint16_t flags, char *s, size_t size)
{
	size_t	i;

	s[0] = '\0';
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (flags & 1U << i)
			snprintf(s + strlen(s), size - strlen(s), "%s%s",
			    s[0] != '\0' ? "," : "", flag_names[i]);
	return s[0] != '\0' ? s : "-";
}

static void
print_header(void)
{
	printf("# frame\tresult\tfamily\tproto\tsrc\tdst\tsport\tdport\t"
	    "icmp\tvlan\tinner\tsmac\tdmac\tethertype\tip_len\tl3\tl4\t"
	    "tos\tttl\ttcp_flags\tflags\n");
}

/* One tab-separated line, in the columns print_header() names. */
static void
print_info(uint64_t n, enum pkt_error e, const struct vnb_pkt_info *i)
{
	char		src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	char		icmp[16], flags[64];
	const uint8_t	*s = i->smac, *d = i->dmac;

	snprintf(icmp, sizeof(icmp), "%u/%u", i->icmp_type, i->icmp_code);
	printf("%" PRIu64 "\t%s\t%u\t%u\t%s\t%s\t%u\t%u\t%s\t%u\t%u\t"
	    "%02x:%02x:%02x:%02x:%02x:%02x\t%02x:%02x:%02x:%02x:%02x:%02x\t"
	    "0x%04x\t%" PRIu32 "\t%u\t%u\t0x%02x\t%u\t0x%02x\t%s\n",
	    n, pkt_error_name(e), i->family, i->proto,
	    fmt_addr(i, i->src, src, sizeof(src)),
	    fmt_addr(i, i->dst, dst, sizeof(dst)), i->sport, i->dport,
	    i->flags & VNB_PKT_ICMP ? icmp : "-", i->vlan, i->inner_vlan,
	    s[0], s[1], s[2], s[3], s[4], s[5],
	    d[0], d[1], d[2], d[3], d[4], d[5], i->ethertype, i->ip_len,
	    i->l3_offset, i->l4_offset, i->tos, i->ttl, i->tcp_flags,
	    fmt_flags(i->flags, flags, sizeof(flags)));
}

static void
dump(struct pcap *p)
{
	struct vnb_pkt_info	 info;
	uint8_t			*frame;
	uint32_t		 len;
	uint64_t		 n = 0;
	enum pkt_error		 e;

	print_header();
	while (pcap_next(p, &frame, &len)) {
		e = pkt_parse(frame, len, &info);
		print_info(++n, e, &info);
		free(frame);
	}
}

/* The whole capture in one buffer, the frames one after the other. */
struct frames {
	uint8_t		*data;
	uint32_t	*len;
	size_t		 n;
	size_t		 bytes;
};

static void
frames_load(struct pcap *p, struct frames *fs)
{
	uint8_t		*frame;
	uint32_t	 len;
	size_t		 cap = 0, bcap = 0;

	memset(fs, 0, sizeof(*fs));
	while (pcap_next(p, &frame, &len)) {
		if (fs->n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((fs->len = realloc(fs->len,
			    cap * sizeof(*fs->len))) == NULL)
				err(1, "allocate frame lengths");
		}
		while (fs->bytes + len > bcap) {
			bcap = bcap ? bcap * 2 : 65536;
			if ((fs->data = realloc(fs->data, bcap)) == NULL)
				err(1, "allocate frames");
		}
		if (len > 0)
			memcpy(fs->data + fs->bytes, frame, len);
		free(frame);
		fs->len[fs->n++] = len;
		fs->bytes += len;
	}
	if (fs->n == 0)
		errx(1, "'%s': no frames", p->path);
}

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * The sum of a few fields of every result keeps the compiler from
 * dropping the parse, and tells apart two runs that parse differently.
 */
static void
bench(struct pcap *p, uint64_t passes)
{
	struct frames		fs;
	struct vnb_pkt_info	info;
	uint64_t		i, t0, t1, sum = 0;
	size_t			k, off;

	frames_load(p, &fs);
	t0 = now_ns();
	for (i = 0; i < passes; i++) {
		for (k = 0, off = 0; k < fs.n; off += fs.len[k++]) {
			sum += pkt_parse(fs.data + off, fs.len[k], &info);
			sum += info.flags + info.sport + info.l4_offset;
		}
	}
	t1 = now_ns();
	printf("%zu frames x %" PRIu64 " passes: %.1f ns/frame "
	    "(check %" PRIx64 ")\n", fs.n, passes,
	    (double)(t1 - t0) / (double)(fs.n * passes), sum);
	free(fs.data);
	free(fs.len);
}

int
main(int argc, char **argv)
{
	struct pcap		 p;
	unsigned long long	 passes = 0;
	char			*end;
	int			 ch;

	while ((ch = getopt(argc, argv, "b:h")) != -1) {
		switch (ch) {
		case 'b':
			errno = 0;
			passes = strtoull(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' ||
			    *end != '\0' || errno == ERANGE || passes == 0 ||
			    passes > 1000000)
				errx(2, "passes '%s': want a number from 1 to "
				    "1000000", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		usage(stderr);
		return 2;
	}

	pcap_open(&p, argv[optind]);
	if (passes > 0)
		bench(&p, passes);
	else
		dump(&p);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "write standard output");
	fclose(p.fp);
	return 0;
}
