/*
 * Certificates and keys with libcrypto: see x509.h.
 *
 * Messages never quote the PEM text: a private key pasted into the wrong
 * field must not end up in a log or on a terminal.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "x509.h"

/*
 * The certificates of a PEM text, the first one first: at least one, and
 * no private key, which would not be kept secret in a certificate field.
 */
STACK_OF(X509) *
x509_parse_certs(const char *pem, struct vnb_error *err)
{
	STACK_OF(X509)	*certs;
	BIO		*bio;
	X509		*x;

	if (strstr(pem, "PRIVATE KEY-----") != NULL) {
		vnb_error_set(err, "holds a private key; a private key goes "
		    "in its own, secret, field");
		return NULL;
	}
	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL ||
	    (certs = sk_X509_new_null()) == NULL) {
		BIO_free(bio);
		vnb_error_set(err, "out of memory");
		return NULL;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		sk_X509_push(certs, x);
	BIO_free(bio);
	ERR_clear_error();

	if (sk_X509_num(certs) == 0) {
		vnb_error_set(err, "no PEM certificate (-----BEGIN "
		    "CERTIFICATE-----) found");
		sk_X509_free(certs);
		return NULL;
	}
	return certs;
}

void
x509_free_certs(STACK_OF(X509) *certs)
{
	sk_X509_pop_free(certs, X509_free);
}

/* Keys are read without a passphrase: the enforcers have nobody to ask. */
static int
x509_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	return 0;
}

EVP_PKEY *
x509_parse_key(const char *pem, struct vnb_error *err)
{
	EVP_PKEY	*key;
	BIO		*bio;

	if (strstr(pem, "ENCRYPTED") != NULL) {
		vnb_error_set(err, "the private key is encrypted; give it "
		    "without a passphrase");
		return NULL;
	}
	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL) {
		vnb_error_set(err, "out of memory");
		return NULL;
	}
	key = PEM_read_bio_PrivateKey(bio, NULL, x509_no_passphrase, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (key == NULL)
		vnb_error_set(err, "no PEM private key (-----BEGIN ... "
		    "PRIVATE KEY-----) found");
	return key;
}

/* A name as strongSwan prints and matches it: "C=CH, O=VNB, CN=gw1". */
static void
x509_name_text(X509_NAME *name, char *buf, size_t size)
{
	BIO	*bio;
	int	 n;

	buf[0] = '\0';
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	X509_NAME_print_ex(bio, name, 0, XN_FLAG_SEP_CPLUS_SPC |
	    (ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB));
	n = BIO_read(bio, buf, (int)size - 1);
	buf[n > 0 ? n : 0] = '\0';
	BIO_free(bio);
}

static void
x509_time_text(const ASN1_TIME *t, char *buf, size_t size)
{
	struct tm	tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "unknown");
}

static void
x509_fingerprint(X509 *x, char *buf, size_t size)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	n, i;
	size_t		off = 0;

	buf[0] = '\0';
	if (X509_digest(x, EVP_sha256(), md, &n) != 1)
		return;
	for (i = 0; i < n && off + 3 < size; i++)
		off += snprintf(buf + off, size - off, "%s%02X",
		    i ? ":" : "", md[i]);
}

void
x509_describe(X509 *x, struct x509_info *info)
{
	const ASN1_TIME	*nb = X509_get0_notBefore(x);
	const ASN1_TIME	*na = X509_get0_notAfter(x);
	int		 days = 0, secs = 0;

	memset(info, 0, sizeof(*info));
	x509_name_text(X509_get_subject_name(x), info->subject,
	    sizeof(info->subject));
	x509_name_text(X509_get_issuer_name(x), info->issuer,
	    sizeof(info->issuer));
	x509_fingerprint(x, info->fingerprint, sizeof(info->fingerprint));
	x509_time_text(nb, info->not_before, sizeof(info->not_before));
	x509_time_text(na, info->not_after, sizeof(info->not_after));

	info->is_ca = (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
	info->not_yet_valid = X509_cmp_current_time(nb) > 0;
	info->expired = X509_cmp_current_time(na) < 0;
	if (ASN1_TIME_diff(&days, &secs, NULL, na) == 1)
		info->days_left = days;
}

int
x509_key_matches(X509 *x, EVP_PKEY *key)
{
	int	ok = X509_check_private_key(x, key) == 1;

	ERR_clear_error();
	return ok;
}

/*
 * Whether leaf, with the intermediate certificates in chain (may be
 * NULL), is signed by ca.  ca is the trust anchor even if it is not
 * self-signed: the store says which CA a certificate must chain to.
 */
int
x509_verify(X509 *leaf, STACK_OF(X509) *chain, X509 *ca,
    struct vnb_error *err)
{
	X509_STORE	*st = NULL;
	X509_STORE_CTX	*ctx = NULL;
	int		 rc = -1;

	if ((st = X509_STORE_new()) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_add_cert(st, ca) != 1 ||
	    X509_STORE_CTX_init(ctx, st, leaf, chain) != 1) {
		vnb_error_set(err, "cannot set up the verification");
		goto out;
	}
	X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx),
	    X509_V_FLAG_PARTIAL_CHAIN);
	if (X509_verify_cert(ctx) == 1)
		rc = 0;
	else
		vnb_error_set(err, "%s", X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(ctx)));
 out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return rc;
}
