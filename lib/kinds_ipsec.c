/*
 * The kinds of the IPsec configuration, managed by ipsecctl: IKE and
 * IPsec policies, CA certificates and certificates, endpoint groups,
 * local and remote sites, the enforcers that run on hosts, and the binds
 * that make tunnels between them.
 *
 * None of these kinds is scoped: names are global.  Algorithm names are
 * strongSwan's proposal keywords, so that an enforcer can render them as
 * they are; the choices strongSwan accepts but that are weak are allowed
 * with a warning that names the risk.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "kind.h"
#include "parse.h"
#include "util.h"
#include "x509.h"

#define CERT_WARN_DAYS		30
#define PSK_MIN_BYTES		16
#define PSK_GENERATED_BYTES	32

static const char *const version_values[] = { "v2=2=ikev2", "v1=1=ikev1",
    NULL };
static const char *const mode_values[] = { "main", "aggressive", NULL };
static const char *const protocol_values[] = { "esp", "ah", "ah-esp",
    NULL };
static const char *const encap_values[] = { "tunnel", "transport", NULL };
static const char *const auth_values[] = { "psk", "certificate=cert=pubkey",
    NULL };
static const char *const dpd_values[] = { "restart", "clear", "hold",
    "none", NULL };
static const char *const start_values[] = { "trap=route", "start",
    "none=add", NULL };

#define AES_AEAD(bits, mode) \
	"aes" #bits #mode "16=aes" #bits #mode "128=aes" #bits #mode, \
	"aes" #bits #mode "12=aes" #bits #mode "96", \
	"aes" #bits #mode "8=aes" #bits #mode "64"

static const char *const cipher_values[] = {
	"aes128=aes", "aes192", "aes256",
	"aes128ctr", "aes192ctr", "aes256ctr",
	AES_AEAD(128, gcm), AES_AEAD(192, gcm), AES_AEAD(256, gcm),
	AES_AEAD(128, ccm), AES_AEAD(192, ccm), AES_AEAD(256, ccm),
	"chacha20poly1305",
	"camellia128=camellia", "camellia192", "camellia256",
	"3des",
	NULL
};

static const char *const integrity_values[] = {
	"sha256=sha2_256", "sha384=sha2_384", "sha512=sha2_512",
	"aesxcbc", "aescmac", "sha1=sha", "md5",
	NULL
};

static const char *const prf_values[] = {
	"sha256=prfsha256", "sha384=prfsha384", "sha512=prfsha512",
	"aesxcbc=prfaesxcbc", "aescmac=prfaescmac", "sha1=prfsha1",
	"md5=prfmd5",
	NULL
};

#define DH_GROUPS \
	"curve25519=x25519", "curve448=x448", \
	"ecp256", "ecp384", "ecp521", "ecp224", "ecp192", \
	"ecp224bp", "ecp256bp", "ecp384bp", "ecp512bp", \
	"modp2048", "modp3072", "modp4096", "modp6144", "modp8192", \
	"modp1536", "modp1024", "modp768", \
	"modp2048s256", "modp2048s224", "modp1024s160"

static const char *const dh_values[] = { DH_GROUPS, NULL };
static const char *const pfs_values[] = { "none", DH_GROUPS, NULL };

/* Why an algorithm strongSwan accepts should not be chosen. */
static const struct {
	const char	*name;
	const char	*why;
} weak_algorithms[] = {
	{ "3des", "a 64-bit block cipher, open to collision attacks on "
	  "long-lived SAs (Sweet32)" },
	{ "md5", "MD5 is broken" },
	{ "sha1", "SHA-1 is deprecated for IKE and IPsec (RFC 8247)" },
	{ "modp768", "a 768-bit group has been broken" },
	{ "modp1024", "a 1024-bit group is within reach of a well-funded "
	  "attacker (Logjam)" },
	{ "modp1536", "a 1536-bit group is below the 2048 bits RFC 8247 "
	  "asks for" },
	{ "modp1024s160", "a 1024-bit group is within reach of a "
	  "well-funded attacker" },
	{ "modp2048s224", "RFC 8247 advises against the MODP groups with "
	  "small subgroups" },
	{ "modp2048s256", "RFC 8247 advises against the MODP groups with "
	  "small subgroups" },
	{ "ecp192", "a 192-bit curve is below the 256 bits RFC 8247 asks "
	  "for" },
};

#define DESCRIPTION_FIELD \
	{ .name = "description", .type = FT_STRING, .max = 256, \
	  .doc = "free text for people" }

#define CERT_INFO_FIELDS \
	{ .name = "subject", .type = FT_STRING, \
	  .flags = F_READONLY | F_COLUMN, \
	  .doc = "the certificate's subject, as strongSwan writes it" }, \
	{ .name = "fingerprint", .type = FT_STRING, .flags = F_READONLY, \
	  .doc = "SHA-256 of the certificate" }, \
	{ .name = "not-before", .type = FT_STRING, .flags = F_READONLY, \
	  .doc = "start of validity, UTC" }, \
	{ .name = "not-after", .type = FT_STRING, \
	  .flags = F_READONLY | F_COLUMN, .doc = "end of validity, UTC" }

static const struct field ca_certificate_fields[] = {
	{ .name = "certificate", .type = FT_TEXT, .flags = F_REQUIRED,
	  .doc = "the CA certificate, PEM" },
	CERT_INFO_FIELDS,
	DESCRIPTION_FIELD,
	FIELD_END
};

static const struct field certificate_fields[] = {
	{ .name = "certificate", .type = FT_TEXT, .flags = F_REQUIRED,
	  .doc = "the certificate, PEM, then any intermediate CAs" },
	{ .name = "private-key", .type = FT_TEXT, .flags = F_SECRET,
	  .doc = "its private key, PEM, without a passphrase (secret)" },
	{ .name = "ca", .type = FT_REF, .flags = F_REQUIRED | F_COLUMN,
	  .ref = "ca-certificate", .doc = "the CA it must chain to" },
	{ .name = "issuer", .type = FT_STRING, .flags = F_READONLY,
	  .doc = "the certificate's issuer" },
	CERT_INFO_FIELDS,
	DESCRIPTION_FIELD,
	FIELD_END
};

static const struct field ike_policy_fields[] = {
	{ .name = "version", .type = FT_ENUM, .flags = F_COLUMN,
	  .values = version_values, .def = "v2",
	  .doc = "IKE version: v2, or v1 for old peers" },
	{ .name = "encryption", .type = FT_ENUM,
	  .flags = F_REQUIRED | F_LIST | F_COLUMN, .values = cipher_values,
	  .def = "aes256gcm16",
	  .doc = "ciphers, preferred first: all AEAD or none" },
	{ .name = "integrity", .type = FT_ENUM, .flags = F_LIST | F_COLUMN,
	  .values = integrity_values,
	  .doc = "integrity algorithms for non-AEAD ciphers (sha256)" },
	{ .name = "prf", .type = FT_ENUM, .flags = F_LIST,
	  .values = prf_values,
	  .doc = "pseudo-random functions (IKEv2; sha256 for AEAD)" },
	{ .name = "dh-group", .type = FT_ENUM,
	  .flags = F_REQUIRED | F_LIST | F_COLUMN, .values = dh_values,
	  .def = "curve25519,ecp256", .doc = "key exchange groups" },
	{ .name = "lifetime", .type = FT_DURATION, .flags = F_COLUMN,
	  .min = 300, .max = 7 * 86400, .def = "4h",
	  .doc = "rekey the IKE SA after this long" },
	{ .name = "mode", .type = FT_ENUM, .values = mode_values,
	  .doc = "IKEv1 only: main (the default) or aggressive" },
	DESCRIPTION_FIELD,
	FIELD_END
};

static const struct field ipsec_policy_fields[] = {
	{ .name = "transform-protocol", .type = FT_ENUM, .flags = F_COLUMN,
	  .values = protocol_values, .def = "esp",
	  .doc = "esp, ah or ah-esp" },
	{ .name = "encapsulation-mode", .type = FT_ENUM, .flags = F_COLUMN,
	  .values = encap_values, .def = "tunnel",
	  .doc = "tunnel, or transport between two enforcers" },
	{ .name = "encryption", .type = FT_ENUM, .flags = F_LIST | F_COLUMN,
	  .values = cipher_values, .def = "aes256gcm16",
	  .doc = "ESP ciphers, preferred first: all AEAD or none" },
	{ .name = "integrity", .type = FT_ENUM, .flags = F_LIST | F_COLUMN,
	  .values = integrity_values,
	  .doc = "integrity algorithms for AH and non-AEAD ESP (sha256)" },
	{ .name = "pfs", .type = FT_ENUM, .flags = F_COLUMN,
	  .values = pfs_values, .def = "none",
	  .doc = "key exchange group for each rekeying, or none" },
	{ .name = "lifetime", .type = FT_DURATION, .flags = F_COLUMN,
	  .min = 60, .max = 86400, .def = "1h",
	  .doc = "rekey the IPsec SA after this long" },
	{ .name = "lifetime-bytes", .type = FT_SIZE, .min = 1024,
	  .max = 1LL << 50, .doc = "or after this much traffic" },
	DESCRIPTION_FIELD,
	FIELD_END
};

static const struct field endpoint_group_fields[] = {
	{ .name = "certificate", .type = FT_REF, .flags = F_COLUMN,
	  .ref = "certificate",
	  .doc = "what its enforcers present with certificate "
	  "authentication" },
	DESCRIPTION_FIELD,
	FIELD_END
};

static const struct field local_site_fields[] = {
	{ .name = "cidrs", .type = FT_PREFIX,
	  .flags = F_REQUIRED | F_LIST | F_COLUMN,
	  .doc = "the networks of the site" },
	{ .name = "certificate", .type = FT_REF, .flags = F_COLUMN,
	  .ref = "certificate",
	  .doc = "what its enforcers present with certificate "
	  "authentication" },
	DESCRIPTION_FIELD,
	FIELD_END
};

static const struct field remote_site_fields[] = {
	{ .name = "peer-address", .type = FT_ADDR,
	  .flags = F_REQUIRED | F_COLUMN,
	  .doc = "address of the site's IPsec gateway" },
	{ .name = "peer-cidrs", .type = FT_PREFIX,
	  .flags = F_REQUIRED | F_LIST | F_COLUMN,
	  .doc = "the networks behind the gateway" },
	{ .name = "peer-id", .type = FT_STRING, .max = 256,
	  .flags = F_COLUMN,
	  .doc = "the gateway's IKE identity (default: its address)" },
	{ .name = "ca", .type = FT_REF, .flags = F_COLUMN,
	  .ref = "ca-certificate",
	  .doc = "the CA of the gateway's certificate" },
	DESCRIPTION_FIELD,
	FIELD_END
};

static const struct field enforcer_fields[] = {
	{ .name = "endpoint-group", .type = FT_REF, .flags = F_COLUMN,
	  .ref = "endpoint-group", .doc = "the group it belongs to" },
	{ .name = "local-site", .type = FT_REF, .flags = F_COLUMN,
	  .ref = "local-site", .doc = "the site it is the gateway of" },
	{ .name = "tunnel-address", .type = FT_ADDR,
	  .flags = F_REQUIRED | F_COLUMN,
	  .doc = "the address its tunnels start from" },
	{ .name = "last-seen", .type = FT_STRING,
	  .flags = F_READONLY | F_VOLATILE | F_COLUMN,
	  .doc = "when it last fetched its configuration" },
	{ .name = "config-hash", .type = FT_STRING, .flags = F_READONLY,
	  .doc = "hash of the configuration it last rendered" },
	DESCRIPTION_FIELD,
	FIELD_END
};

#define BIND_FIELDS \
	{ .name = "ike-policy", .type = FT_REF, \
	  .flags = F_REQUIRED | F_COLUMN, .ref = "ike-policy", \
	  .doc = "the IKE policy of its tunnels" }, \
	{ .name = "ipsec-policy", .type = FT_REF, \
	  .flags = F_REQUIRED | F_COLUMN, .ref = "ipsec-policy", \
	  .doc = "the IPsec policy of its tunnels" }, \
	{ .name = "authentication", .type = FT_ENUM, .flags = F_COLUMN, \
	  .values = auth_values, .def = "psk", \
	  .doc = "psk or certificate" }, \
	{ .name = "psk", .type = FT_STRING, .max = 256, \
	  .flags = F_SECRET | F_GENERATED, \
	  .doc = "pre-shared key: text, 0x and hex, or 0s and base64 " \
	  "(secret)" }, \
	{ .name = "dpd-action", .type = FT_ENUM, .values = dpd_values, \
	  .def = "restart", \
	  .doc = "when the peer is gone: restart, clear, hold or none" }, \
	{ .name = "dpd-delay", .type = FT_DURATION, .min = 0, \
	  .max = 3600, .def = "30s", \
	  .doc = "check a silent peer this often; 0s never" }, \
	{ .name = "dpd-timeout", .type = FT_DURATION, .min = 1, \
	  .max = 86400, .def = "150s", \
	  .doc = "IKEv1: declare the peer gone after this long" }, \
	{ .name = "start-action", .type = FT_ENUM, .values = start_values, \
	  .def = "trap", \
	  .doc = "trap (on traffic), start (at once) or none" }, \
	DESCRIPTION_FIELD, \
	FIELD_END

static const struct field group_to_group_fields[] = {
	{ .name = "left", .type = FT_REF, .flags = F_REQUIRED | F_COLUMN,
	  .ref = "endpoint-group", .doc = "one endpoint group" },
	{ .name = "right", .type = FT_REF, .flags = F_REQUIRED | F_COLUMN,
	  .ref = "endpoint-group",
	  .doc = "the other: every member meets every left member" },
	BIND_FIELDS
};

static const struct field localsite_to_localsite_fields[] = {
	{ .name = "left", .type = FT_REF, .flags = F_REQUIRED | F_COLUMN,
	  .ref = "local-site", .doc = "one local site" },
	{ .name = "right", .type = FT_REF, .flags = F_REQUIRED | F_COLUMN,
	  .ref = "local-site", .doc = "the other local site" },
	BIND_FIELDS
};

static const struct field localsite_to_remotesite_fields[] = {
	{ .name = "local-site", .type = FT_REF,
	  .flags = F_REQUIRED | F_COLUMN, .ref = "local-site",
	  .doc = "the local site" },
	{ .name = "remote-site", .type = FT_REF,
	  .flags = F_REQUIRED | F_COLUMN, .ref = "remote-site",
	  .doc = "the remote site" },
	BIND_FIELDS
};

static const char *
str(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(obj, field));
}

static int
is_aead(const char *cipher)
{
	return strstr(cipher, "gcm") != NULL || strstr(cipher, "ccm") != NULL ||
	    strcmp(cipher, "chacha20poly1305") == 0;
}

static const char *
weak_reason(const char *alg)
{
	size_t	i, len = strlen(alg);

	for (i = 0; i < nitems(weak_algorithms); i++)
		if (strcmp(weak_algorithms[i].name, alg) == 0)
			return weak_algorithms[i].why;
	if (len > 4 && (strcmp(alg + len - 4, "gcm8") == 0 ||
	    strcmp(alg + len - 4, "ccm8") == 0))
		return "an 8-octet ICV is too short (RFC 8247)";
	return NULL;
}

/* Warn about each weak algorithm of a field, a list or a single value. */
static void
warn_weak(struct kind_ctx *ctx, const json_t *obj, const char *field)
{
	const json_t	*v = json_object_get(obj, field), *x;
	const char	*why;
	size_t		 i;

	if (json_is_string(v)) {
		if ((why = weak_reason(json_string_value(v))) != NULL)
			kind_warn(ctx, field, "'%s' is weak: %s",
			    json_string_value(v), why);
		return;
	}
	json_array_foreach(v, i, x)
		if ((why = weak_reason(json_string_value(x))) != NULL)
			kind_warn(ctx, field, "'%s' is weak: %s",
			    json_string_value(x), why);
}

/*
 * Whether the ciphers are all AEAD (1) or none (0).  A proposal cannot
 * hold both kinds, so a mix is refused (-1).
 */
static int
check_ciphers(struct kind_ctx *ctx, const json_t *list)
{
	const char	*aead = NULL, *classic = NULL, *c;
	json_t		*x;
	size_t		 i;

	json_array_foreach(list, i, x) {
		c = json_string_value(x);
		if (is_aead(c) && aead == NULL)
			aead = c;
		else if (!is_aead(c) && classic == NULL)
			classic = c;
	}
	if (aead != NULL && classic != NULL) {
		kind_error(ctx, "encryption", "AEAD cipher '%s' and non-AEAD "
		    "cipher '%s' cannot be mixed in one proposal", aead,
		    classic);
		return -1;
	}
	return aead != NULL;
}

static const char *
first(const json_t *list)
{
	return json_string_value(json_array_get(list, 0));
}

static void
set_list(json_t *obj, const char *field, const char *value)
{
	json_object_set_new(obj, field, json_pack("[s]", value));
}

/* Whether obj has a list in field; an empty one is taken away. */
static int
has_list(json_t *obj, const char *field)
{
	const json_t	*v = json_object_get(obj, field);

	if (v != NULL && json_array_size(v) == 0)
		json_object_del(obj, field);
	return json_array_size(json_object_get(obj, field)) > 0;
}

static int
given(struct kind_ctx *ctx, const char *field)
{
	const json_t	*v = json_object_get(ctx->in, field);

	return v != NULL && !json_is_null(v);
}

/*
 * An IKE proposal has a PRF and, unless its ciphers are AEAD, integrity
 * algorithms: strongSwan refuses integrity with AEAD ciphers, and IKEv1
 * knows neither AEAD for the IKE SA nor a separate PRF.
 */
static void
ike_policy_check(struct kind_ctx *ctx, json_t *obj)
{
	const json_t	*enc = json_object_get(obj, "encryption");
	const char	*mode = str(obj, "mode");
	int		 v1 = strcmp(str(obj, "version"), "v1") == 0;
	int		 aead;

	if ((aead = check_ciphers(ctx, enc)) == -1)
		return;
	if (v1 && aead && !given(ctx, "encryption"))
		kind_error(ctx, "version", "IKEv1 cannot use the default "
		    "cipher, AEAD cipher '%s': give encryption", first(enc));
	else if (v1 && aead)
		kind_error(ctx, "encryption", "IKEv1 cannot protect the IKE "
		    "SA with AEAD cipher '%s'", first(enc));
	if (aead && has_list(obj, "integrity"))
		kind_error(ctx, "integrity", "AEAD cipher '%s' protects "
		    "integrity itself: leave integrity out", first(enc));
	if (!aead && !has_list(obj, "integrity"))
		set_list(obj, "integrity", "sha256");
	if (v1 && has_list(obj, "prf"))
		kind_error(ctx, "prf", "IKEv1 derives its PRF from the "
		    "integrity algorithm: leave prf out");
	if (!v1 && aead && !has_list(obj, "prf"))
		set_list(obj, "prf", "sha256");

	if (!v1 && mode != NULL && strcmp(mode, "aggressive") == 0)
		kind_error(ctx, "mode", "aggressive mode exists only in "
		    "IKEv1");
	if (v1 && mode == NULL)
		json_object_set_new(obj, "mode", json_string("main"));
	if (v1 && mode != NULL && strcmp(mode, "aggressive") == 0)
		kind_warn(ctx, "mode", "IKEv1 aggressive mode sends the "
		    "identities in the clear and, with a PSK, a hash of it "
		    "that can be cracked offline");

	warn_weak(ctx, obj, "encryption");
	warn_weak(ctx, obj, "integrity");
	warn_weak(ctx, obj, "prf");
	warn_weak(ctx, obj, "dh-group");
}

static void
ipsec_policy_check(struct kind_ctx *ctx, json_t *obj)
{
	const json_t	*enc = json_object_get(obj, "encryption");
	const char	*proto = str(obj, "transform-protocol");
	int		 aead = 0;

	if (strcmp(proto, "ah") == 0) {
		if (given(ctx, "encryption"))
			kind_error(ctx, "encryption", "AH authenticates but "
			    "does not encrypt: leave encryption out, or use "
			    "esp or ah-esp");
		json_object_del(obj, "encryption");
	} else if (!has_list(obj, "encryption")) {
		kind_error(ctx, "encryption", "%s needs at least one cipher",
		    proto);
		return;
	} else if ((aead = check_ciphers(ctx, enc)) == -1)
		return;

	if (strcmp(proto, "esp") == 0 && aead && has_list(obj, "integrity"))
		kind_error(ctx, "integrity", "AEAD cipher '%s' protects "
		    "integrity itself: leave integrity out", first(enc));
	else if ((strcmp(proto, "esp") != 0 || !aead) &&
	    !has_list(obj, "integrity"))
		set_list(obj, "integrity", "sha256");

	warn_weak(ctx, obj, "encryption");
	warn_weak(ctx, obj, "integrity");
	warn_weak(ctx, obj, "pfs");
}

/* The date checks every certificate gets. */
static void
cert_check_dates(struct kind_ctx *ctx, const struct x509_info *info)
{
	if (info->expired)
		kind_error(ctx, "certificate", "'%s' expired on %s",
		    info->subject, info->not_after);
	else if (info->not_yet_valid)
		kind_warn(ctx, "certificate", "'%s' is not valid before %s",
		    info->subject, info->not_before);
	else if (info->days_left < CERT_WARN_DAYS)
		kind_warn(ctx, "certificate", "'%s' expires on %s, in %d "
		    "day%s", info->subject, info->not_after, info->days_left,
		    info->days_left == 1 ? "" : "s");
}

static void
cert_set_info(json_t *obj, const struct x509_info *info)
{
	json_object_set_new(obj, "subject", json_string(info->subject));
	json_object_set_new(obj, "fingerprint",
	    json_string(info->fingerprint));
	json_object_set_new(obj, "not-before", json_string(info->not_before));
	json_object_set_new(obj, "not-after", json_string(info->not_after));
}

static void
ca_certificate_check(struct kind_ctx *ctx, json_t *obj)
{
	struct vnb_error	 err;
	struct x509_info	 info;
	STACK_OF(X509)		*certs;

	if ((certs = x509_parse_certs(str(obj, "certificate"),
	    &err)) == NULL) {
		kind_error(ctx, "certificate", "%s", err.msg);
		return;
	}
	if (sk_X509_num(certs) != 1) {
		kind_error(ctx, "certificate", "holds %d certificates; give "
		    "each CA as a ca-certificate of its own",
		    sk_X509_num(certs));
		goto out;
	}
	x509_describe(sk_X509_value(certs, 0), &info);
	if (!info.is_ca)
		kind_error(ctx, "certificate", "'%s' is not a CA "
		    "certificate (basicConstraints CA:TRUE is missing)",
		    info.subject);
	cert_check_dates(ctx, &info);
	cert_set_info(obj, &info);
 out:
	x509_free_certs(certs);
}

/* Whether the PEM key text belongs to the certificate x. */
static void
cert_check_key(struct kind_ctx *ctx, X509 *x, const char *pem,
    const char *subject)
{
	struct vnb_error	 err;
	EVP_PKEY		*key;

	if ((key = x509_parse_key(pem, &err)) == NULL) {
		kind_error(ctx, "private-key", "%s", err.msg);
		return;
	}
	if (!x509_key_matches(x, key))
		kind_error(ctx, "private-key", "is not the key of '%s'",
		    subject);
	EVP_PKEY_free(key);
}

static void
certificate_check(struct kind_ctx *ctx, json_t *obj)
{
	struct vnb_error	 err;
	struct x509_info	 info;
	STACK_OF(X509)		*certs;
	X509			*leaf;

	if ((certs = x509_parse_certs(str(obj, "certificate"),
	    &err)) == NULL) {
		kind_error(ctx, "certificate", "%s", err.msg);
		return;
	}
	leaf = sk_X509_value(certs, 0);
	x509_describe(leaf, &info);
	cert_check_dates(ctx, &info);
	if (str(obj, "private-key") != NULL)
		cert_check_key(ctx, leaf, str(obj, "private-key"),
		    info.subject);
	cert_set_info(obj, &info);
	json_object_set_new(obj, "issuer", json_string(info.issuer));
	x509_free_certs(certs);
}

/*
 * A certificate must chain to its CA, which may be in the same batch;
 * and it needs its key, which an export without secrets leaves out, so
 * that the stored key must then still fit the certificate.
 */
static void
certificate_check_refs(struct kind_ctx *ctx, json_t *obj)
{
	struct vnb_error	 err;
	STACK_OF(X509)		*certs, *cas = NULL, *chain = NULL;
	const json_t		*ca;
	const char		*key;
	X509			*leaf;

	if ((certs = x509_parse_certs(str(obj, "certificate"), NULL)) == NULL)
		return;
	leaf = sk_X509_value(certs, 0);
	ca = kind_lookup(ctx, "ca-certificate", str(obj, "ca"));
	if (ca != NULL &&
	    (cas = x509_parse_certs(str(ca, "certificate"), NULL)) != NULL) {
		chain = sk_X509_dup(certs);
		(void)sk_X509_shift(chain);
		if (x509_verify(leaf, chain, sk_X509_value(cas, 0),
		    &err) == -1)
			kind_error(ctx, "ca", "'%s' does not chain to "
			    "ca-certificate '%s': %s", str(obj, "subject"),
			    str(obj, "ca"), err.msg);
	}

	if (str(obj, "private-key") == NULL) {
		key = ctx->stored ? str(ctx->stored, "private-key") : NULL;
		if (key == NULL)
			kind_error(ctx, "private-key", "is required");
		else
			cert_check_key(ctx, leaf, key, str(obj, "subject"));
	}
	sk_X509_free(chain);
	x509_free_certs(cas);
	x509_free_certs(certs);
}

/* Warn about the first prefix of a that overlaps one of b. */
static void
warn_overlap(struct kind_ctx *ctx, const char *field, const json_t *a,
    const char *awho, const json_t *b, const char *bwho)
{
	struct vnb_prefix	 pa, pb;
	json_t			*x, *y;
	size_t			 i, j;

	json_array_foreach(a, i, x) {
		json_array_foreach(b, j, y) {
			if (a == b && j <= i)
				continue;
			if (parse_prefix(json_string_value(x), AF_UNSPEC,
			    PARSE_PREFIX_HOST, &pa, NULL) == -1 ||
			    parse_prefix(json_string_value(y), AF_UNSPEC,
			    PARSE_PREFIX_HOST, &pb, NULL) == -1 ||
			    !prefix_overlap(&pa, &pb))
				continue;
			if (a == b)
				kind_warn(ctx, field, "'%s' overlaps '%s'",
				    json_string_value(x),
				    json_string_value(y));
			else
				kind_warn(ctx, field, "'%s'%s overlaps "
				    "'%s'%s: traffic between them cannot be "
				    "told apart", json_string_value(x), awho,
				    json_string_value(y), bwho);
			return;
		}
	}
}

static void
local_site_check(struct kind_ctx *ctx, json_t *obj)
{
	const json_t	*cidrs = json_object_get(obj, "cidrs");

	warn_overlap(ctx, "cidrs", cidrs, "", cidrs, "");
}

static void
remote_site_check(struct kind_ctx *ctx, json_t *obj)
{
	const json_t	*cidrs = json_object_get(obj, "peer-cidrs");

	warn_overlap(ctx, "peer-cidrs", cidrs, "", cidrs, "");
}

/*
 * XXX(#7): two enforcers with the same tunnel address are not noticed:
 * the check sees one object, and would need to search the store.
 */
static void
enforcer_check(struct kind_ctx *ctx, json_t *obj)
{
	if (json_object_get(obj, "endpoint-group") == NULL &&
	    json_object_get(obj, "local-site") == NULL)
		kind_warn(ctx, NULL, "in no endpoint-group and no "
		    "local-site: no tunnel will use it");
}

/* How many bytes a PSK holds, or -1 if its 0x or 0s form is broken. */
static int
psk_bytes(const char *psk)
{
	unsigned char	*raw;
	size_t		 len = strlen(psk), i, pad = 0;
	int		 n;

	if (strncmp(psk, "0x", 2) == 0) {
		if (len == 2 || len % 2 != 0)
			return -1;
		for (i = 2; i < len; i++)
			if (!isxdigit((unsigned char)psk[i]))
				return -1;
		return (int)(len - 2) / 2;
	}
	if (strncmp(psk, "0s", 2) != 0)
		return (int)len;
	if (len == 2 || (len - 2) % 4 != 0)
		return -1;
	for (i = len; i > 2 && psk[i - 1] == '=' && pad < 2; i--)
		pad++;
	raw = xmalloc(len);
	n = EVP_DecodeBlock(raw, (const unsigned char *)psk + 2,
	    (int)(len - 2));
	OPENSSL_cleanse(raw, len);
	free(raw);
	return n < 0 ? -1 : n - (int)pad;
}

/*
 * What every bind checks on its own.  Messages about the PSK never
 * quote it.
 */
static void
bind_check(struct kind_ctx *ctx, json_t *obj)
{
	const char	*psk = str(obj, "psk");
	uint64_t	 delay, timeout;
	int		 n;

	if (psk != NULL && strcmp(str(obj, "authentication"), "psk") != 0)
		kind_warn(ctx, "psk", "not used with authentication %s",
		    str(obj, "authentication"));
	else if (psk != NULL && (n = psk_bytes(psk)) == -1)
		kind_error(ctx, "psk", "after 0x give an even number of hex "
		    "digits, after 0s base64");
	else if (psk != NULL && n < PSK_MIN_BYTES)
		kind_warn(ctx, "psk", "shorter than %d bytes, so open to "
		    "guessing (leave it out to have one generated)",
		    PSK_MIN_BYTES);

	parse_duration(str(obj, "dpd-delay"), &delay, NULL);
	parse_duration(str(obj, "dpd-timeout"), &timeout, NULL);
	if (delay > 0 && timeout <= delay)
		kind_warn(ctx, "dpd-timeout", "not longer than dpd-delay, so "
		    "a peer is given up before it is asked twice");
}

/* Both sides of a bind the same object: refused, whatever the kind. */
static void
bind_check_sides(struct kind_ctx *ctx, json_t *obj, const char *what)
{
	if (strcmp(str(obj, "left"), str(obj, "right")) == 0)
		kind_error(ctx, "right", "'%s' is also left: a bind joins "
		    "two different %ss", str(obj, "right"), what);
	bind_check(ctx, obj);
}

static void
group_to_group_check(struct kind_ctx *ctx, json_t *obj)
{
	bind_check_sides(ctx, obj, "endpoint-group");
}

static void
localsite_to_localsite_check(struct kind_ctx *ctx, json_t *obj)
{
	bind_check_sides(ctx, obj, "local-site");
}

/* A PSK of 32 random bytes, in the base64 form strongSwan reads. */
static int
bind_generate(const struct kind *k, const struct field *f, json_t *obj,
    struct vnb_error *err)
{
	unsigned char	raw[PSK_GENERATED_BYTES];
	unsigned char	b64[(PSK_GENERATED_BYTES + 2) / 3 * 4 + 1];
	char		psk[sizeof(b64) + 2];

	if (strcmp(f->name, "psk") != 0 ||
	    strcmp(str(obj, "authentication"), "psk") != 0)
		return 0;
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		vnb_error_set(err, "cannot generate: no random bytes");
		return -1;
	}
	EVP_EncodeBlock(b64, raw, sizeof(raw));
	snprintf(psk, sizeof(psk), "0s%s", b64);
	json_object_set_new(obj, "psk", json_string(psk));
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(b64, sizeof(b64));
	OPENSSL_cleanse(psk, sizeof(psk));
	return 0;
}

/* With certificate authentication, what each side must have. */
static void
bind_need(struct kind_ctx *ctx, const char *kind, const char *name,
    const char *field)
{
	const json_t	*o = kind_lookup(ctx, kind, name);

	if (o != NULL && json_object_get(o, field) == NULL)
		kind_error(ctx, "authentication", "certificate "
		    "authentication needs a %s for %s '%s'", field, kind,
		    name);
}

/* Transport mode protects two hosts' own traffic, not their sites'. */
static void
bind_need_tunnel_mode(struct kind_ctx *ctx, json_t *obj)
{
	const json_t	*p;

	p = kind_lookup(ctx, "ipsec-policy", str(obj, "ipsec-policy"));
	if (p != NULL && strcmp(str(p, "encapsulation-mode"),
	    "transport") == 0)
		kind_error(ctx, "ipsec-policy", "'%s' uses transport mode, "
		    "which cannot carry the traffic of sites", str(obj,
		    "ipsec-policy"));
}

static int
bind_certificates(const json_t *obj)
{
	return strcmp(str(obj, "authentication"), "certificate") == 0;
}

/*
 * XXX(#7): these checks run when the bind is written; taking the
 * certificate off a group or site later, or binding the same two groups
 * twice, goes unnoticed.
 */
static void
group_to_group_check_refs(struct kind_ctx *ctx, json_t *obj)
{
	if (!bind_certificates(obj))
		return;
	bind_need(ctx, "endpoint-group", str(obj, "left"), "certificate");
	bind_need(ctx, "endpoint-group", str(obj, "right"), "certificate");
}

/* The sites of a bind, left and right, and whether they overlap. */
static void
bind_check_sites(struct kind_ctx *ctx, const char *field, const char *lkind,
    const char *lname, const char *lcidrs, const char *rkind,
    const char *rname, const char *rcidrs)
{
	const json_t	*l = kind_lookup(ctx, lkind, lname);
	const json_t	*r = kind_lookup(ctx, rkind, rname);
	char		*lwho, *rwho;

	if (l == NULL || r == NULL)
		return;
	lwho = xasprintf(" of %s '%s'", lkind, lname);
	rwho = xasprintf(" of %s '%s'", rkind, rname);
	warn_overlap(ctx, field, json_object_get(l, lcidrs), lwho,
	    json_object_get(r, rcidrs), rwho);
	free(lwho);
	free(rwho);
}

static void
localsite_to_localsite_check_refs(struct kind_ctx *ctx, json_t *obj)
{
	bind_need_tunnel_mode(ctx, obj);
	bind_check_sites(ctx, "right", "local-site", str(obj, "left"), "cidrs",
	    "local-site", str(obj, "right"), "cidrs");
	if (!bind_certificates(obj))
		return;
	bind_need(ctx, "local-site", str(obj, "left"), "certificate");
	bind_need(ctx, "local-site", str(obj, "right"), "certificate");
}

static void
localsite_to_remotesite_check_refs(struct kind_ctx *ctx, json_t *obj)
{
	bind_need_tunnel_mode(ctx, obj);
	bind_check_sites(ctx, "remote-site", "local-site", str(obj,
	    "local-site"), "cidrs", "remote-site", str(obj, "remote-site"),
	    "peer-cidrs");
	if (!bind_certificates(obj))
		return;
	bind_need(ctx, "local-site", str(obj, "local-site"), "certificate");
	bind_need(ctx, "remote-site", str(obj, "remote-site"), "ca");
}

#define IPSEC_KIND(n, f, chk, refs, gen, d) \
	const struct kind kind_ ## f = { .name = n, .tool = "ipsec", \
	    .flags = 0, .doc = d, .fields = f ## _fields, .check = chk, \
	    .check_refs = refs, .generate = gen }

IPSEC_KIND("ca-certificate", ca_certificate, ca_certificate_check, NULL,
    NULL, "a CA that certificates chain to");
IPSEC_KIND("certificate", certificate, certificate_check,
    certificate_check_refs, NULL,
    "a certificate and its private key, for certificate authentication");
IPSEC_KIND("ike-policy", ike_policy, ike_policy_check, NULL, NULL,
    "IKE version, algorithms and lifetime");
IPSEC_KIND("ipsec-policy", ipsec_policy, ipsec_policy_check, NULL, NULL,
    "ESP or AH algorithms, mode, PFS and lifetimes");
IPSEC_KIND("endpoint-group", endpoint_group, NULL, NULL, NULL,
    "enforcers meshed with the members of other groups");
IPSEC_KIND("local-site", local_site, local_site_check, NULL, NULL,
    "networks behind enforcers");
IPSEC_KIND("remote-site", remote_site, remote_site_check, NULL, NULL,
    "networks behind an IPsec gateway VNB does not manage");
IPSEC_KIND("enforcer", enforcer, enforcer_check, NULL, NULL,
    "a host that renders and runs its tunnels");
IPSEC_KIND("group-to-group", group_to_group, group_to_group_check,
    group_to_group_check_refs, bind_generate,
    "tunnels from every member of one group to every member of another");
IPSEC_KIND("localsite-to-localsite", localsite_to_localsite,
    localsite_to_localsite_check, localsite_to_localsite_check_refs,
    bind_generate, "tunnels between the enforcers of two local sites");
IPSEC_KIND("localsite-to-remotesite", localsite_to_remotesite, bind_check,
    localsite_to_remotesite_check_refs, bind_generate,
    "tunnels from the enforcers of a local site to a remote site");
