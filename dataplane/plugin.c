/*
 * Loading plugins and what the dataplane offers them: see <vnb/plugin.h>.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "dp.h"
#include "log.h"
#include "util.h"

static int
host_send(const struct vnb_plugin_host *h, unsigned int w, const void *frame,
    size_t len)
{
	return dp_egress_send(w, frame, len);
}

static void
host_log(const struct vnb_plugin_host *h, int level, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		return;
	if (level <= VNB_LOG_WARN)
		log_warnx("%s: %s", h->name, msg);
	else if (level == VNB_LOG_INFO)
		log_info("%s: %s", h->name, msg);
	else
		log_debug("%s: %s", h->name, msg);
	free(msg);
}

uint64_t
dp_now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* "key=value,key=value" as a JSON object's text. */
static char *
plugin_args(const char *spec, char *err, size_t errlen)
{
	json_t	*o = json_object();
	char	*copy, *item, *eq, *save = NULL, *text = NULL;

	copy = xstrdup(spec != NULL ? spec : "");
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		if ((eq = strchr(item, '=')) == NULL || eq == item) {
			snprintf(err, errlen, "plugin argument '%s' is not "
			    "KEY=VALUE", item);
			goto out;
		}
		*eq = '\0';
		json_object_set_new(o, item, json_string(eq + 1));
	}
	text = json_dumps(o, JSON_COMPACT);
 out:
	free(copy);
	json_decref(o);
	return text;
}

/*
 * Load the plugin name from the shared object at path, with its
 * arguments ("key=value,...", or NULL).  Returns NULL with a message in
 * err.
 */
struct dp_plugin *
dp_plugin_open(const char *name, const char *path, const char *args,
    unsigned int nworkers, char *err, size_t errlen)
{
	struct dp_plugin	*p;

	p = xcalloc(1, sizeof(*p));
	p->name = name;
	p->path = xstrdup(path);
	if ((p->args = plugin_args(args, err, errlen)) == NULL)
		goto fail;
	if ((p->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "plugin %s: %s", name, dlerror());
		goto fail;
	}
	if ((p->ops = dlsym(p->handle, "vnb_plugin")) == NULL) {
		snprintf(err, errlen, "plugin %s: %s has no symbol vnb_plugin",
		    name, path);
		goto fail;
	}
	if (p->ops->abi_version != VNB_PLUGIN_ABI_VERSION) {
		snprintf(err, errlen, "plugin %s: %s is built for ABI version "
		    "%u, not %u", name, path, p->ops->abi_version,
		    VNB_PLUGIN_ABI_VERSION);
		goto fail;
	}
	if (p->ops->init == NULL || p->ops->handle == NULL ||
	    p->ops->fini == NULL) {
		snprintf(err, errlen, "plugin %s: %s lacks init, handle or "
		    "fini", name, path);
		goto fail;
	}
	p->host.size = sizeof(p->host);
	p->host.nworkers = nworkers;
	p->host.send = host_send;
	p->host.log = host_log;
	p->host.now_ns = dp_now_ns;
	p->host.name = name;
	p->host.priv = p;
	return p;

 fail:
	dp_plugin_close(p);
	return NULL;
}

void
dp_plugin_close(struct dp_plugin *p)
{
	if (p == NULL)
		return;
	if (p->handle != NULL)
		dlclose(p->handle);
	free(p->path);
	free(p->args);
	free(p);
}
