/*
 * Logging for the tools and daemons: to stderr as "prog: message", or to
 * syslog for a daemon that went to the background.
 *
 * Levels: warnings always show; info (state changes an operator cares
 * about) with -v; debug with -v -v.
 */
#ifndef VNB_LOG_H
#define VNB_LOG_H

#include <stdarg.h>

#define LOG_VERBOSE_INFO	1
#define LOG_VERBOSE_DEBUG	2

void	log_init(const char *, int, int);
void	log_setverbose(int);
int	log_getverbose(void);
const char *log_procname(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
