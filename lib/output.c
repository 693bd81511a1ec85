/*
 * Tables, YAML and JSON: see output.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "util.h"
#include "yaml.h"

int
output_parse_format(const char *s, enum output_format *fmt)
{
	if (strcmp(s, "table") == 0)
		*fmt = OUTPUT_TABLE;
	else if (strcmp(s, "yaml") == 0)
		*fmt = OUTPUT_YAML;
	else if (strcmp(s, "json") == 0)
		*fmt = OUTPUT_JSON;
	else
		return -1;
	return 0;
}

static void
output_cell(FILE *fp, const char *cell, size_t width, int last)
{
	if (last)
		fprintf(fp, "%s\n", cell);
	else
		fprintf(fp, "%-*s  ", (int)width, cell);
}

/*
 * Rows is an array of arrays of strings.  Columns are as wide as their
 * widest cell; the last column is not padded, so lines have no trailing
 * blanks.
 */
void
output_table(FILE *fp, const char *const *headers, json_t *rows)
{
	size_t	 ncol, i, j, w, *width;
	json_t	*row;
	const char *cell;

	for (ncol = 0; headers[ncol] != NULL; ncol++)
		;
	width = xcalloc(ncol, sizeof(*width));
	for (j = 0; j < ncol; j++)
		width[j] = strlen(headers[j]);
	json_array_foreach(rows, i, row)
		for (j = 0; j < ncol; j++) {
			cell = json_string_value(json_array_get(row, j));
			if (cell != NULL && (w = strlen(cell)) > width[j])
				width[j] = w;
		}

	for (j = 0; j < ncol; j++)
		output_cell(fp, headers[j], width[j], j + 1 == ncol);
	json_array_foreach(rows, i, row)
		for (j = 0; j < ncol; j++) {
			cell = json_string_value(json_array_get(row, j));
			if (cell == NULL || *cell == '\0')
				cell = "-";
			output_cell(fp, cell, width[j], j + 1 == ncol);
		}
	free(width);
}

void
output_data(FILE *fp, enum output_format fmt, const json_t *data)
{
	struct buf	 b;
	char		*s;

	if (fmt == OUTPUT_JSON) {
		s = json_dumps(data, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
		    JSON_ENCODE_ANY);
		fprintf(fp, "%s\n", s ? s : "null");
		free(s);
		return;
	}
	buf_init(&b);
	yaml_emit(&b, data);
	if (b.len > 0)		/* an empty list emits nothing */
		fwrite(b.data, 1, b.len, fp);
	buf_free(&b);
}

static char *
upper(const char *s)
{
	char	*u = xstrdup(s), *p;

	for (p = u; *p != '\0'; p++)
		*p = toupper((unsigned char)*p);
	return u;
}

/* A list of objects of kind k: SCOPE, NAME and the kind's columns. */
void
output_objects(FILE *fp, enum output_format fmt, const struct kind *k,
    json_t *objs)
{
	const struct field	 *f;
	const char		**headers;
	json_t			 *rows, *row, *o;
	char			 *text;
	size_t			  n = 0, i;

	if (fmt != OUTPUT_TABLE) {
		output_data(fp, fmt, objs);
		return;
	}
	headers = xcalloc(3 + 32, sizeof(*headers));
	if (k->flags & K_SCOPED)
		headers[n++] = xstrdup("SCOPE");
	headers[n++] = xstrdup("NAME");
	for (f = k->fields; f->name != NULL && n < 34; f++)
		if (f->flags & F_COLUMN && !(f->flags & F_SECRET))
			headers[n++] = upper(f->name);

	rows = json_array();
	json_array_foreach(objs, i, o) {
		row = json_array();
		if (k->flags & K_SCOPED)
			json_array_append(row, json_object_get(o, "scope"));
		json_array_append(row, json_object_get(o, "name"));
		for (f = k->fields; f->name != NULL; f++) {
			if (!(f->flags & F_COLUMN) || f->flags & F_SECRET)
				continue;
			text = kind_value_text(json_object_get(o, f->name));
			json_array_append_new(row, json_string(text));
			free(text);
		}
		json_array_append_new(rows, row);
	}
	output_table(fp, headers, rows);
	json_decref(rows);
	for (i = 0; i < n; i++)
		free((char *)headers[i]);
	free(headers);
}

/* One object: "field: value" lines in table form. */
void
output_object(FILE *fp, enum output_format fmt, const struct kind *k,
    const json_t *obj)
{
	const char	*key;
	json_t		*v;
	char		*text;
	size_t		 w = 0;

	if (fmt != OUTPUT_TABLE) {
		output_data(fp, fmt, obj);
		return;
	}
	json_object_foreach((json_t *)obj, key, v)
		if (strlen(key) > w)
			w = strlen(key);
	json_object_foreach((json_t *)obj, key, v) {
		text = kind_value_text(v);
		if (strchr(text, '\n') != NULL)
			fprintf(fp, "%s:\n%s%s", key, text,
			    text[strlen(text) - 1] == '\n' ? "" : "\n");
		else
			fprintf(fp, "%-*s  %s\n", (int)w + 1, key, text);
		free(text);
	}
}

void
output_stream_begin(struct output_stream *st, FILE *fp,
    enum output_format fmt)
{
	st->fp = fp;
	st->fmt = fmt;
	st->n = 0;
	if (fmt == OUTPUT_JSON)
		fputc('[', fp);
}

/* One item, indented as json_dumps() indents the items of an array. */
void
output_stream_item(struct output_stream *st, const json_t *item)
{
	char	*s, *line, *next;

	if (st->fmt != OUTPUT_JSON) {
		output_data(st->fp, st->fmt, item);
		st->n++;
		return;
	}
	s = json_dumps(item, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY);
	fputs(st->n++ ? ",\n" : "\n", st->fp);
	for (line = s; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		fprintf(st->fp, "  %s%s", line, next ? "\n" : "");
	}
	free(s);
}

void
output_stream_end(struct output_stream *st)
{
	if (st->fmt == OUTPUT_JSON)
		fputs(st->n ? "\n]\n" : "]\n", st->fp);
}
