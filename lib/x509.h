/*
 * X.509 certificates and private keys, as the IPsec kinds keep them: PEM
 * text parsed with OpenSSL's libcrypto, the facts people check by eye
 * (subject, issuer, validity, SHA-256 fingerprint), whether a key belongs
 * to a certificate, and whether a certificate chains to a given CA.
 */
#ifndef VNB_X509_H
#define VNB_X509_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "error.h"

#define X509_TEXT_MAX		512
#define X509_FINGERPRINT_LEN	96	/* 32 bytes "AB:" and a NUL */
#define X509_TIME_LEN		24	/* "2026-12-03T19:04:05Z" */

struct x509_info {
	char	subject[X509_TEXT_MAX];
	char	issuer[X509_TEXT_MAX];
	char	fingerprint[X509_FINGERPRINT_LEN];
	char	not_before[X509_TIME_LEN];
	char	not_after[X509_TIME_LEN];
	int	is_ca;		/* basicConstraints CA:TRUE */
	int	not_yet_valid;
	int	expired;
	int	days_left;	/* whole days until not_after */
};

STACK_OF(X509)	*x509_parse_certs(const char *, struct vnb_error *);
void		 x509_free_certs(STACK_OF(X509) *);
EVP_PKEY	*x509_parse_key(const char *, struct vnb_error *);
void		 x509_describe(X509 *, struct x509_info *);
int		 x509_key_matches(X509 *, EVP_PKEY *);
int		 x509_verify(X509 *, STACK_OF(X509) *, X509 *,
		    struct vnb_error *);

#endif
