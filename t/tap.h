/*
 * A small TAP producer for VNB's C unit tests.
 *
 * Each check is named and numbered; a failed check prints the file, line
 * and both values as TAP diagnostics, and the run goes on.  tap_done()
 * prints the plan and returns the exit status for main().
 */
#ifndef VNB_TAP_H
#define VNB_TAP_H

#include <stdint.h>

int	tap_check(int, const char *, int, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
int	tap_check_int(intmax_t, intmax_t, const char *, int, const char *,
	    ...) __attribute__((format(printf, 5, 6)));
int	tap_check_str(const char *, const char *, const char *, int,
	    const char *, ...) __attribute__((format(printf, 5, 6)));
void	tap_diag(const char *, ...) __attribute__((format(printf, 1, 2)));
void	tap_skip(const char *, const char *);
int	tap_done(void);

/* ok(cond, "name %d", ...) */
#define ok(cond, ...) \
	tap_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
/* is_int(got, expected, "name") */
#define is_int(got, want, ...) \
	tap_check_int((intmax_t)(got), (intmax_t)(want), __FILE__, \
	    __LINE__, __VA_ARGS__)
/* is_str(got, expected, "name"); NULL compares equal only to NULL */
#define is_str(got, want, ...) \
	tap_check_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)

#endif
