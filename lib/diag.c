/*
 * Collecting and printing diagnostics: see diag.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"
#include "log.h"
#include "util.h"

void
diag_init(struct diag *d)
{
	d->msgs = NULL;
	d->n = d->cap = 0;
	d->errors = d->warnings = 0;
}

void
diag_free(struct diag *d)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		free(d->msgs[i].text);
	free(d->msgs);
	diag_init(d);
}

static void
diag_add(struct diag *d, const struct loc *loc, int warning, const char *fmt,
    va_list ap)
{
	struct diag_msg	*m;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->msgs = xreallocarray(d->msgs, d->cap, sizeof(*d->msgs));
	}
	m = &d->msgs[d->n++];
	if (loc != NULL)
		m->loc = *loc;
	else {
		m->loc.file = NULL;
		m->loc.line = m->loc.col = 0;
	}
	m->warning = warning;
	if (vasprintf(&m->text, fmt, ap) == -1)
		fatal("vasprintf");
	if (warning)
		d->warnings++;
	else
		d->errors++;
}

void
diag_error(struct diag *d, const struct loc *loc, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	diag_add(d, loc, 0, fmt, ap);
	va_end(ap);
}

void
diag_warn(struct diag *d, const struct loc *loc, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	diag_add(d, loc, 1, fmt, ap);
	va_end(ap);
}

/*
 * Messages from a file carry its place; the others carry the program's
 * name, in the form every VNB tool uses on stderr.
 */
void
diag_print(const struct diag *d, FILE *fp)
{
	const struct diag_msg	*m;
	size_t			 i;

	for (i = 0; i < d->n; i++) {
		m = &d->msgs[i];
		if (m->loc.file != NULL && m->loc.line > 0)
			fprintf(fp, "%s:%d:%d: %s%s\n", m->loc.file,
			    m->loc.line, m->loc.col,
			    m->warning ? "warning: " : "", m->text);
		else if (m->loc.file != NULL)
			fprintf(fp, "%s: %s%s\n", m->loc.file,
			    m->warning ? "warning: " : "", m->text);
		else
			fprintf(fp, "%s: %s%s\n", log_procname(),
			    m->warning ? "warning: " : "", m->text);
	}
	fflush(fp);
}
