/*
 * pcapwrite: an example vnb-dataplane plugin that writes the packets its
 * associations match to a capture file, truncated as the rules say.
 *
 * It shows the whole plugin interface of <vnb/plugin.h> and needs
 * nothing else.  Build it outside the VNB tree and run it in place of one
 * of the dataplane's plugins:
 *
 *	cc -shared -fPIC -O2 -o pcapwrite.so pcapwrite.c
 *	vnb-dataplane -c scope1.yaml --pcap in.pcap \
 *	    --plugin rawforward=./pcapwrite.so,file=matched.pcap,log=matched.txt
 *
 * Arguments: file=PATH, the capture file (worker w > 0 writes PATH.w);
 * log=PATH, a text line per packet: worker, association, rule, direction
 * and lengths.  Its counters: packets and bytes written, and frames that
 * came without their mbuf (which would be a dataplane bug).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vnb/plugin.h>

/* What each worker writes to; it outlives the instances of a reload. */
struct files {
	FILE		**pcap;
	FILE		**log;
	unsigned int	 n;
	unsigned long	*packets;
	unsigned long	*bytes;
	unsigned long	*no_mbuf;	/* frames handed without their mbuf */
};

struct pcapwrite {
	const struct vnb_plugin_host	*host;
	struct files			*files;
	long				 generation;
};

struct pcap_file_header {
	uint32_t	magic;
	uint16_t	major;
	uint16_t	minor;
	int32_t		zone;
	uint32_t	sigfigs;
	uint32_t	snaplen;
	uint32_t	linktype;
};

struct pcap_record {
	uint32_t	sec;
	uint32_t	nsec;
	uint32_t	caplen;
	uint32_t	len;
};

/*
 * The value of "key": "..." in the configuration's args.  A real plugin
 * would use a JSON parser; this one needs only two flat strings.
 */
static char *
arg(const char *config, const char *key)
{
	char		 pat[64];
	const char	*p, *args, *end;

	if ((args = strstr(config, "\"args\":{")) == NULL)
		return NULL;
	end = strchr(args, '}');
	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if ((p = strstr(args, pat)) == NULL || (end != NULL && p > end))
		return NULL;
	p += strlen(pat);
	return strndup(p, strcspn(p, "\""));
}

static long
generation(const char *config)
{
	const char	*p = strstr(config, "\"generation\":");

	return p != NULL ? strtol(p + 13, NULL, 10) : 0;
}

static FILE *
open_pcap(const char *path, unsigned int w)
{
	struct pcap_file_header	 h = { 0xa1b23c4d, 2, 4, 0, 0, 65535, 1 };
	char			 name[4096];
	FILE			*fp;

	if (w == 0)
		snprintf(name, sizeof(name), "%s", path);
	else
		snprintf(name, sizeof(name), "%s.%u", path, w);
	if ((fp = fopen(name, "w")) != NULL)
		fwrite(&h, sizeof(h), 1, fp);
	return fp;
}

static void
files_close(struct files *f)
{
	unsigned int	w;

	for (w = 0; w < f->n; w++) {
		if (f->pcap[w] != NULL)
			fclose(f->pcap[w]);
		if (f->log[w] != NULL)
			fclose(f->log[w]);
	}
	free(f->pcap);
	free(f->log);
	free(f->packets);
	free(f->bytes);
	free(f->no_mbuf);
	free(f);
}

static void *
pw_init(const struct vnb_plugin_host *host, const char *config, char *err,
    size_t errlen)
{
	struct pcapwrite	*pw;
	struct files		*f;
	char			*file, *log;
	unsigned int		 w;

	if ((pw = calloc(1, sizeof(*pw))) == NULL ||
	    (f = calloc(1, sizeof(*f))) == NULL) {
		free(pw);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pw->host = host;
	pw->files = f;
	pw->generation = generation(config);
	f->n = host->nworkers;
	f->pcap = calloc(f->n, sizeof(*f->pcap));
	f->log = calloc(f->n, sizeof(*f->log));
	f->packets = calloc(f->n, sizeof(*f->packets));
	f->bytes = calloc(f->n, sizeof(*f->bytes));
	f->no_mbuf = calloc(f->n, sizeof(*f->no_mbuf));
	file = arg(config, "file");
	log = arg(config, "log");
	for (w = 0; w < f->n; w++) {
		f->pcap[w] = open_pcap(file ? file : "vnb-matched.pcap", w);
		if (f->pcap[w] == NULL) {
			snprintf(err, errlen, "cannot write %s",
			    file ? file : "vnb-matched.pcap");
			break;
		}
		if (log != NULL && w == 0)
			f->log[w] = fopen(log, "w");
		else if (log != NULL) {
			char	name[4096];

			snprintf(name, sizeof(name), "%s.%u", log, w);
			f->log[w] = fopen(name, "w");
		}
	}
	free(file);
	free(log);
	if (w < f->n) {
		files_close(f);
		free(pw);
		return NULL;
	}
	host->log(host, VNB_LOG_INFO, "writing matched packets, generation "
	    "%ld", pw->generation);
	return pw;
}

/* A new generation writes on to the same files. */
static void *
pw_reload(void *running, const char *config, char *err, size_t errlen)
{
	struct pcapwrite	*old = running, *pw;

	if ((pw = calloc(1, sizeof(*pw))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pw->host = old->host;
	pw->files = old->files;
	pw->generation = generation(config);
	return pw;
}

static void
pw_handle(void *inst, unsigned int w, struct vnb_pkt *const *pkts,
    unsigned int n)
{
	struct pcapwrite	*pw = inst;
	struct files		*f = pw->files;
	struct pcap_record	 r;
	unsigned int		 i;

	for (i = 0; i < n; i++) {
		r.sec = (uint32_t)(pkts[i]->time_ns / 1000000000u);
		r.nsec = (uint32_t)(pkts[i]->time_ns % 1000000000u);
		r.caplen = pkts[i]->len;
		r.len = pkts[i]->wire_len;
		fwrite(&r, sizeof(r), 1, f->pcap[w]);
		fwrite(pkts[i]->data, 1, pkts[i]->len, f->pcap[w]);
		if (f->log[w] != NULL)
			fprintf(f->log[w], "gen %ld worker %u association %u "
			    "rule %u %s len %u wire %u\n", pw->generation, w,
			    pkts[i]->association, pkts[i]->rule,
			    pkts[i]->direction == VNB_DIR_INGRESS ?
			    "ingress" : "egress", pkts[i]->len,
			    pkts[i]->wire_len);
		f->packets[w]++;
		f->bytes[w] += pkts[i]->len;
		/* This plugin has no use for the mbuf, but it must be there. */
		if (pkts[i]->mbuf == NULL)
			f->no_mbuf[w]++;
	}
}

static void
pw_counters(void *inst, vnb_counter_fn *emit, void *arg)
{
	struct pcapwrite	*pw = inst;
	unsigned long		 packets = 0, bytes = 0, no_mbuf = 0;
	unsigned int		 w;

	for (w = 0; w < pw->files->n; w++) {
		packets += pw->files->packets[w];
		bytes += pw->files->bytes[w];
		no_mbuf += pw->files->no_mbuf[w];
	}
	emit(arg, "written", packets);
	emit(arg, "bytes", bytes);
	emit(arg, "without-mbuf", no_mbuf);
}

static void
pw_fini(void *inst, void *next)
{
	struct pcapwrite	*pw = inst;

	/* The files go on with next; without one, they are finished. */
	if (next == NULL || ((struct pcapwrite *)next)->files != pw->files)
		files_close(pw->files);
	free(pw);
}

const struct vnb_plugin vnb_plugin = {
	.abi_version = VNB_PLUGIN_ABI_VERSION,
	.name = "pcapwrite",
	.description = "write matched packets to a capture file",
	.init = pw_init,
	.reload = pw_reload,
	.handle = pw_handle,
	.tick = NULL,
	.counters = pw_counters,
	.fini = pw_fini,
};
