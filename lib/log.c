/*
 * Logging to stderr or syslog: see log.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static const char	*log_name = "vnb";
static int		 log_stderr = 1;
static int		 log_verbose;

/*
 * Foreground tools and daemons run with -d log to stderr; a daemon in
 * the background logs to syslog's daemon facility.
 */
void
log_init(const char *name, int to_stderr, int verbose)
{
	const char	*slash;

	if (name != NULL) {
		slash = strrchr(name, '/');
		log_name = slash != NULL ? slash + 1 : name;
	}
	log_stderr = to_stderr;
	log_verbose = verbose;
	if (!log_stderr)
		openlog(log_name, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return log_verbose;
}

const char *
log_procname(void)
{
	return log_name;
}

static void
log_vwrite(int pri, const char *fmt, va_list ap, const char *suffix)
{
	char	buf[2048];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_stderr) {
		if (suffix != NULL)
			fprintf(stderr, "%s: %s: %s\n", log_name, buf, suffix);
		else
			fprintf(stderr, "%s: %s\n", log_name, buf);
		fflush(stderr);
	} else if (suffix != NULL)
		syslog(pri, "%s: %s", buf, suffix);
	else
		syslog(pri, "%s", buf);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	if (log_verbose < LOG_VERBOSE_INFO)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_verbose < LOG_VERBOSE_DEBUG)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
