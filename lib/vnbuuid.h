/*
 * Object identifiers: random (version 4) UUIDs in their 36-character
 * lowercase text form.
 */
#ifndef VNB_UUID_H
#define VNB_UUID_H

#define VNB_UUID_STRLEN	37	/* 36 characters and a NUL */

void	vnb_uuid_generate(char *);
int	vnb_uuid_valid(const char *);

#endif
