/*
 * Unit tests for the string buffer, the error helpers and UUIDs.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "tap.h"
#include "util.h"
#include "vnbuuid.h"

static void
test_buf(void)
{
	struct buf	 b;
	char		*s;
	int		 i;

	buf_init(&b);
	buf_puts(&b, "scope");
	buf_printf(&b, " %d/%s", 7, "x");
	is_str(b.data, "scope 7/x", "buf: puts then printf");
	is_int(b.len, 9, "buf: length counts the bytes");

	for (i = 0; i < 1000; i++)
		buf_puts(&b, "0123456789");
	is_int(b.len, 10009, "buf: grows past its first allocation");
	is_int(b.data[b.len], '\0', "buf: stays NUL-terminated");

	s = buf_release(&b);
	ok(b.data == NULL && b.len == 0, "buf: empty after release");
	ok(strncmp(s, "scope 7/x0123", 13) == 0, "buf: released string");
	free(s);

	s = buf_release(&b);
	is_str(s, "", "buf: releasing an empty buffer gives \"\"");
	free(s);
}

static void
test_error(void)
{
	struct vnb_error	err;

	vnb_error_set(&err, "invalid port '%s'", "0");
	vnb_error_prefix(&err, "rule '%s'", "r1");
	is_str(err.msg, "rule 'r1': invalid port '0'", "error: prefix");
	vnb_error_clear(&err);
	is_str(err.msg, "", "error: clear");

	/* A NULL error is allowed everywhere. */
	vnb_error_set(NULL, "ignored %d", 1);
	vnb_error_prefix(NULL, "ignored");
	ok(1, "error: NULL is accepted");
}

static void
test_uuid(void)
{
	char	a[VNB_UUID_STRLEN], b[VNB_UUID_STRLEN];

	vnb_uuid_generate(a);
	vnb_uuid_generate(b);
	is_int(strlen(a), 36, "uuid: 36 characters");
	ok(strcmp(a, b) != 0, "uuid: two are different");
	is_int(a[14], '4', "uuid: version 4");
	ok(vnb_uuid_valid(a), "uuid: generated one is valid");
	ok(vnb_uuid_valid("148c029f-999d-4055-a443-53a8eda72567"),
	    "uuid: canonical text is valid");
	ok(!vnb_uuid_valid("148c029f999d4055a44353a8eda72567"),
	    "uuid: without dashes is invalid");
	ok(!vnb_uuid_valid("148c029f-999d-4055-a443-53a8eda7256"),
	    "uuid: too short is invalid");
	ok(!vnb_uuid_valid("148c029f-999d-4055-a443-53a8eda72567x"),
	    "uuid: trailing garbage is invalid");
	ok(!vnb_uuid_valid("148c029g-999d-4055-a443-53a8eda72567"),
	    "uuid: non-hex digit is invalid");
}

int
main(void)
{
	test_buf();
	test_error();
	test_uuid();
	return tap_done();
}
