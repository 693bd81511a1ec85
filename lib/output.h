/*
 * Rendering results for people and for scripts: aligned tables, YAML and
 * JSON.  The CLIs and the REST server render through these functions, so
 * that a list looks the same wherever it comes from.
 */
#ifndef VNB_OUTPUT_H
#define VNB_OUTPUT_H

#include <stdio.h>
#include <jansson.h>

#include "kind.h"

enum output_format {
	OUTPUT_TABLE,
	OUTPUT_YAML,
	OUTPUT_JSON,
};

/*
 * A list written one item at a time, for lists too long to hold: JSON
 * as one array, YAML as one document per item, as output_data() would
 * write the whole list.  Tables need every row for their widths.
 */
struct output_stream {
	FILE			*fp;
	enum output_format	 fmt;
	size_t			 n;
};

int	output_parse_format(const char *, enum output_format *);
void	output_table(FILE *, const char *const *, json_t *);
void	output_data(FILE *, enum output_format, const json_t *);
void	output_objects(FILE *, enum output_format, const struct kind *,
	    json_t *);
void	output_object(FILE *, enum output_format, const struct kind *,
	    const json_t *);
void	output_stream_begin(struct output_stream *, FILE *,
	    enum output_format);
void	output_stream_item(struct output_stream *, const json_t *);
void	output_stream_end(struct output_stream *);

#endif
