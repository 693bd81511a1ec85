/*
 * Error reporting for libvnb.
 *
 * Library functions return 0 or -1 (or a pointer or NULL) and describe a
 * failure in a struct vnb_error that the caller prints or passes up.  A
 * NULL error pointer is allowed everywhere and means "don't care".
 */
#ifndef VNB_ERROR_H
#define VNB_ERROR_H

#include <stddef.h>

#define VNB_ERROR_MAX	512

struct vnb_error {
	char	msg[VNB_ERROR_MAX];
};

void	vnb_error_set(struct vnb_error *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	vnb_error_prefix(struct vnb_error *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	vnb_error_clear(struct vnb_error *);

#endif
