/*
 * The kinds of the monitoring configuration, managed by secmonctl: scopes
 * and the sources, classifications, rules, policies, collectors,
 * collector sets, associations and plugin settings that live in them.
 *
 * Every kind here is scoped: a scope is a namespace, so two scopes may
 * each have a rule called "web", and references resolve inside the scope.
 */
#include <string.h>

#include "kind.h"
#include "parse.h"

static const char *const enable_values[] = { "enable=enabled", "disable="
    "disabled", NULL };
static const char *const action_values[] = { "forward", "drop", NULL };
static const char *const family_values[] = { "any", "ipv4=4=inet",
    "ipv6=6=inet6", NULL };
static const char *const direction_values[] = { "both", "ingress",
    "egress", NULL };
static const char *const algorithm_values[] = { "round-robin=1=rr",
    "weighted-round-robin=2=wrr", "session=3=session-hash", NULL };
static const char *const encap_values[] = { "udp", "gre", "vxlan",
    "erspan", NULL };
static const char *const version_values[] = { "v9=9", "v5=5",
    "ipfix=10", NULL };
static const char *const transport_values[] = { "socket", "egress", NULL };
static const char *const match_values[] = {
	"source-address", "destination-address", "source-port",
	"destination-port", "protocol", "tos", "input-interface",
	"mac-address", "vlan", NULL
};
static const char *const collect_values[] = {
	"counters=collect-counter=collect counter",
	"timestamps=flow-access-timestamp=flow access timestamp",
	"tcp-flags", "subnet-masks=subnet-mask", "mac-address", "vlan", NULL
};

#define DESCRIPTION_FIELD \
	{ .name = "description", .type = FT_STRING, .max = 256, \
	  .doc = "free text for people" }

static const struct field scope_fields[] = {
	{ .name = "netflow", .type = FT_ENUM, .flags = F_COLUMN,
	  .values = enable_values, .def = "disable",
	  .doc = "whether the netflow plugin runs for this scope" },
	{ .name = "sflow", .type = FT_ENUM, .flags = F_COLUMN,
	  .values = enable_values, .def = "disable",
	  .doc = "whether the sflow plugin runs for this scope" },
	{ .name = "rawforward", .type = FT_ENUM, .flags = F_COLUMN,
	  .values = enable_values, .def = "disable",
	  .doc = "whether the rawforward plugin runs for this scope" },
	DESCRIPTION_FIELD,
	FIELD_END
};

static const struct field source_fields[] = {
	{ .name = "mac", .type = FT_MAC, .flags = F_REQUIRED | F_COLUMN,
	  .doc = "MAC address of the monitored VM's interface" },
	{ .name = "vlan", .type = FT_INT, .flags = F_COLUMN, .min = 1,
	  .max = 4094, .doc = "VLAN the source sends on, if tagged" },
	{ .name = "port", .type = FT_INT, .flags = F_COLUMN, .min = 0,
	  .max = 1023, .doc = "dataplane port the source is seen on" },
	DESCRIPTION_FIELD,
	FIELD_END
};

static const struct field classification_fields[] = {
	{ .name = "source-ip", .type = FT_PREFIX, .flags = F_ANY | F_COLUMN,
	  .def = "any", .doc = "source address or prefix" },
	{ .name = "destination-ip", .type = FT_PREFIX,
	  .flags = F_ANY | F_COLUMN, .def = "any",
	  .doc = "destination address or prefix" },
	{ .name = "source-mac", .type = FT_MAC, .flags = F_ANY, .def = "any",
	  .doc = "source MAC address" },
	{ .name = "destination-mac", .type = FT_MAC, .flags = F_ANY,
	  .def = "any", .doc = "destination MAC address" },
	{ .name = "source-port", .type = FT_PORTRANGE, .flags = F_COLUMN,
	  .def = "any", .doc = "source port or range MIN-MAX" },
	{ .name = "destination-port", .type = FT_PORTRANGE,
	  .flags = F_COLUMN, .def = "any",
	  .doc = "destination port or range MIN-MAX" },
	{ .name = "protocol", .type = FT_PROTOCOL, .flags = F_COLUMN,
	  .def = "any", .doc = "tcp, udp, icmp, icmpv6, a number, or any" },
	{ .name = "vlan", .type = FT_INT, .min = 1, .max = 4094,
	  .doc = "VLAN ID the packet must carry" },
	{ .name = "family", .type = FT_ENUM, .values = family_values,
	  .def = "any", .doc = "ipv4, ipv6 or any" },
	DESCRIPTION_FIELD,
	FIELD_END
};

static const struct field rule_fields[] = {
	{ .name = "classification", .type = FT_REF,
	  .flags = F_REQUIRED | F_COLUMN, .ref = "classification",
	  .doc = "the classification packets must match" },
	{ .name = "priority", .type = FT_INT, .flags = F_REQUIRED | F_COLUMN,
	  .min = 0, .max = 65535,
	  .doc = "lower numbers are matched first" },
	{ .name = "truncate", .type = FT_SIZE, .flags = F_COLUMN, .min = 0,
	  .max = 65535, .def = "0",
	  .doc = "bytes of each packet to keep; 0 keeps the whole packet" },
	{ .name = "action", .type = FT_ENUM, .flags = F_COLUMN,
	  .values = action_values, .def = "forward",
	  .doc = "forward to the plugin, or drop" },
	DESCRIPTION_FIELD,
	FIELD_END
};

static const struct field policy_fields[] = {
	{ .name = "rules", .type = FT_REF,
	  .flags = F_REQUIRED | F_LIST | F_COLUMN, .ref = "rule",
	  .doc = "the rules of the policy" },
	DESCRIPTION_FIELD,
	FIELD_END
};

#define COLLECTOR_FIELDS(port) \
	{ .name = "address", .type = FT_ADDR, .flags = F_REQUIRED | F_COLUMN, \
	  .doc = "IPv4 or IPv6 address of the collector" }, \
	{ .name = "port", .type = FT_PORT, .flags = F_COLUMN, .def = port, \
	  .doc = "UDP port of the collector" }

#define COLLECTOR_SET_FIELDS(plugin) \
	{ .name = "members", .type = FT_REF, \
	  .flags = F_REQUIRED | F_LIST | F_WEIGHT | F_COLUMN, \
	  .ref = plugin "-collector", \
	  .doc = "collectors, each with a weight (NAME:WEIGHT)" }, \
	{ .name = "algorithm", .type = FT_ENUM, .flags = F_COLUMN, \
	  .values = algorithm_values, .def = "round-robin", \
	  .doc = "round-robin, weighted-round-robin or session" }, \
	DESCRIPTION_FIELD, \
	FIELD_END

#define ASSOCIATION_FIELDS(plugin) \
	{ .name = "source", .type = FT_REF, .flags = F_REQUIRED | F_COLUMN, \
	  .ref = "source", .doc = "the source whose traffic is watched" }, \
	{ .name = "policy", .type = FT_REF, .flags = F_REQUIRED | F_COLUMN, \
	  .ref = "policy", .doc = "the policy the traffic is classified by" }, \
	{ .name = "collector", .type = FT_REF, .flags = F_COLUMN, \
	  .ref = plugin "-collector", \
	  .doc = "the collector matched packets go to" }, \
	{ .name = "collector-set", .type = FT_REF, .flags = F_COLUMN, \
	  .ref = plugin "-collector-set", \
	  .doc = "or the collector set they are balanced over" }, \
	{ .name = "direction", .type = FT_ENUM, .flags = F_COLUMN, \
	  .values = direction_values, .def = "both", \
	  .doc = "ingress (sent by the source), egress (sent to it) or both" }, \
	DESCRIPTION_FIELD, \
	FIELD_END

static const struct field netflow_collector_fields[] = {
	COLLECTOR_FIELDS("2055"),
	DESCRIPTION_FIELD,
	FIELD_END
};

static const struct field sflow_collector_fields[] = {
	COLLECTOR_FIELDS("6343"),
	DESCRIPTION_FIELD,
	FIELD_END
};

static const struct field rawforward_collector_fields[] = {
	{ .name = "address", .type = FT_ADDR, .flags = F_REQUIRED | F_COLUMN,
	  .doc = "IPv4 or IPv6 address of the analyzer" },
	{ .name = "encapsulation", .type = FT_ENUM, .flags = F_COLUMN,
	  .values = encap_values, .def = "udp",
	  .doc = "udp, gre, vxlan or erspan" },
	{ .name = "port", .type = FT_PORT, .flags = F_COLUMN,
	  .doc = "UDP port (udp and vxlan; vxlan defaults to 4789)" },
	{ .name = "vni", .type = FT_INT, .min = 0, .max = 16777215,
	  .doc = "VXLAN network identifier (vxlan only)" },
	{ .name = "session", .type = FT_INT, .min = 0, .max = 1023,
	  .doc = "ERSPAN session ID (erspan only)" },
	DESCRIPTION_FIELD,
	FIELD_END
};

static const struct field netflow_collector_set_fields[] = {
	COLLECTOR_SET_FIELDS("netflow")
};
static const struct field sflow_collector_set_fields[] = {
	COLLECTOR_SET_FIELDS("sflow")
};
static const struct field rawforward_collector_set_fields[] = {
	COLLECTOR_SET_FIELDS("rawforward")
};
static const struct field netflow_association_fields[] = {
	ASSOCIATION_FIELDS("netflow")
};
static const struct field sflow_association_fields[] = {
	ASSOCIATION_FIELDS("sflow")
};
static const struct field rawforward_association_fields[] = {
	ASSOCIATION_FIELDS("rawforward")
};

static const struct field netflow_config_fields[] = {
	{ .name = "version", .type = FT_ENUM, .flags = F_COLUMN,
	  .values = version_values, .def = "v9",
	  .doc = "export format: v5, v9 or ipfix" },
	{ .name = "active-timeout", .type = FT_DURATION, .flags = F_COLUMN,
	  .min = 1, .max = 86400, .def = "60s",
	  .doc = "export a flow that is still active after this long" },
	{ .name = "inactive-timeout", .type = FT_DURATION, .flags = F_COLUMN,
	  .min = 1, .max = 86400, .def = "15s",
	  .doc = "export a flow that has been idle this long" },
	{ .name = "refresh-rate", .type = FT_INT, .flags = F_COLUMN,
	  .min = 1, .max = 1000000, .def = "20",
	  .doc = "resend templates every this many export packets" },
	{ .name = "timeout-rate", .type = FT_DURATION, .flags = F_COLUMN,
	  .min = 1, .max = 86400, .def = "30m",
	  .doc = "resend templates at least this often" },
	{ .name = "max-flows", .type = FT_INT, .flags = F_COLUMN, .min = 1,
	  .max = 16777216, .def = "65536",
	  .doc = "flows the cache holds before exporting the oldest" },
	{ .name = "observation-domain", .type = FT_INT, .min = 0,
	  .max = 4294967295LL, .def = "0",
	  .doc = "IPFIX observation domain, NetFlow v9 source ID" },
	{ .name = "transport", .type = FT_ENUM, .values = transport_values,
	  .def = "socket",
	  .doc = "socket (a kernel UDP socket) or egress (the egress port)" },
	{ .name = "source-address", .type = FT_ADDR,
	  .doc = "source address of the datagrams" },
	{ .name = "source-port", .type = FT_PORT,
	  .doc = "source UDP port of the datagrams" },
	{ .name = "mtu", .type = FT_INT, .min = 576, .max = 9000,
	  .def = "1500", .doc = "path MTU: no datagram is larger" },
	{ .name = "pacing-rate", .type = FT_INT, .min = 0, .max = 10000000,
	  .def = "20000",
	  .doc = "datagrams a second each worker sends; 0: unpaced" },
	FIELD_END
};

static const struct field netflow_monitor_fields[] = {
	{ .name = "match", .type = FT_ENUM,
	  .flags = F_REQUIRED | F_LIST | F_COLUMN,
	  .values = match_values,
	  .def = "source-address,destination-address,source-port,"
	  "destination-port,protocol,tos,input-interface",
	  .doc = "key fields: packets that agree on them form a flow" },
	{ .name = "collect", .type = FT_ENUM, .flags = F_LIST | F_COLUMN,
	  .values = collect_values, .def = "counters,timestamps,tcp-flags",
	  .doc = "non-key fields collected for each flow" },
	FIELD_END
};

static const struct field sflow_config_fields[] = {
	{ .name = "sampling-rate", .type = FT_INT, .flags = F_COLUMN,
	  .min = 1, .max = 16777215, .def = "1024",
	  .doc = "sample one packet in this many" },
	{ .name = "polling-interval", .type = FT_DURATION, .flags = F_COLUMN,
	  .min = 0, .max = 3600, .def = "20s",
	  .doc = "counter polling interval; 0s disables counters" },
	{ .name = "header-bytes", .type = FT_INT, .flags = F_COLUMN,
	  .min = 14, .max = 1500, .def = "128",
	  .doc = "bytes of each sampled packet's header to send" },
	{ .name = "agent-address", .type = FT_ADDR, .flags = F_COLUMN,
	  .doc = "agent address in the datagrams" },
	FIELD_END
};

static int
prefix_family(const json_t *obj, const char *field)
{
	struct vnb_prefix	p;
	const char		*s;

	s = json_string_value(json_object_get(obj, field));
	if (s == NULL || parse_prefix(s, AF_UNSPEC, PARSE_PREFIX_ANY |
	    PARSE_PREFIX_HOST, &p, NULL) == -1)
		return 0;
	return p.addr.family;
}

/*
 * A classification must be able to match something: its addresses agree
 * on the IP version, ports need a protocol that has them, and ICMP is
 * spelt to fit the version.
 */
static void
classification_check(struct kind_ctx *ctx, json_t *obj)
{
	int		 src = prefix_family(obj, "source-ip");
	int		 dst = prefix_family(obj, "destination-ip");
	const char	*fam, *proto;
	int		 want = 0, ports;

	fam = json_string_value(json_object_get(obj, "family"));
	proto = json_string_value(json_object_get(obj, "protocol"));
	if (strcmp(fam, "ipv4") == 0)
		want = AF_INET;
	else if (strcmp(fam, "ipv6") == 0)
		want = AF_INET6;

	if (src && dst && src != dst)
		kind_error(ctx, "destination-ip", "source-ip and "
		    "destination-ip are of different IP versions");
	if (want && ((src && src != want) || (dst && dst != want)))
		kind_error(ctx, "family", "'%s' does not fit the addresses",
		    fam);
	if (!want)
		want = src ? src : dst;

	ports = strcmp(json_string_value(json_object_get(obj,
	    "source-port")), "any") != 0 || strcmp(json_string_value(
	    json_object_get(obj, "destination-port")), "any") != 0;
	if (ports && strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 &&
	    strcmp(proto, "sctp") != 0)
		kind_error(ctx, "protocol", "ports need protocol tcp, udp or "
		    "sctp, not '%s'", proto);
	if (want == AF_INET6 && strcmp(proto, "icmp") == 0)
		kind_error(ctx, "protocol", "IPv6 uses icmpv6, not icmp");
	if (want == AF_INET && strcmp(proto, "icmpv6") == 0)
		kind_error(ctx, "protocol", "IPv4 uses icmp, not icmpv6");
}

static void
association_check(struct kind_ctx *ctx, json_t *obj)
{
	int	c = json_object_get(obj, "collector") != NULL;
	int	s = json_object_get(obj, "collector-set") != NULL;

	if (c && s)
		kind_error(ctx, "collector-set", "give a collector or a "
		    "collector-set, not both");
	else if (!c && !s)
		kind_error(ctx, "collector", "a collector or a collector-set "
		    "is required");
}

static void
collector_set_check(struct kind_ctx *ctx, json_t *obj)
{
	const char	*algo;
	json_t		*m;
	size_t		 i;

	algo = json_string_value(json_object_get(obj, "algorithm"));
	if (strcmp(algo, "weighted-round-robin") == 0)
		return;
	json_array_foreach(json_object_get(obj, "members"), i, m) {
		if (json_integer_value(json_object_get(m, "weight")) != 1) {
			kind_warn(ctx, "members", "weights are ignored by "
			    "the %s algorithm", algo);
			return;
		}
	}
}

static void
rawforward_collector_check(struct kind_ctx *ctx, json_t *obj)
{
	const char	*encap;
	int		 port = json_object_get(obj, "port") != NULL;

	encap = json_string_value(json_object_get(obj, "encapsulation"));
	if (json_object_get(obj, "vni") != NULL &&
	    strcmp(encap, "vxlan") != 0)
		kind_error(ctx, "vni", "only vxlan has a VNI");
	if (json_object_get(obj, "session") != NULL &&
	    strcmp(encap, "erspan") != 0)
		kind_error(ctx, "session", "only erspan has a session ID");
	if (strcmp(encap, "udp") == 0 && !port)
		kind_error(ctx, "port", "is required for udp encapsulation");
	if ((strcmp(encap, "gre") == 0 || strcmp(encap, "erspan") == 0) &&
	    port)
		kind_error(ctx, "port", "%s has no port", encap);
	if (strcmp(encap, "vxlan") == 0) {
		if (!port)
			json_object_set_new(obj, "port", json_integer(4789));
		if (json_object_get(obj, "vni") == NULL)
			kind_error(ctx, "vni", "is required for vxlan");
	}
}

static void
netflow_config_check(struct kind_ctx *ctx, json_t *obj)
{
	uint64_t	active, inactive;

	parse_duration(json_string_value(json_object_get(obj,
	    "active-timeout")), &active, NULL);
	parse_duration(json_string_value(json_object_get(obj,
	    "inactive-timeout")), &inactive, NULL);
	if (inactive > active)
		kind_warn(ctx, "inactive-timeout", "longer than the active "
		    "timeout, so it never applies");
	/* A frame on the egress port has no kernel to fill these in. */
	if (strcmp(json_string_value(json_object_get(obj, "transport")),
	    "egress") == 0 && (json_object_get(obj, "source-address") ==
	    NULL || json_object_get(obj, "source-port") == NULL))
		kind_error(ctx, "transport", "egress needs a source-address "
		    "and a source-port");
}

#define SECMON_KIND(n, f, chk, fl, d) \
	const struct kind kind_ ## f = { .name = n, .tool = "secmon", \
	    .flags = K_SCOPED | (fl), .doc = d, .fields = f ## _fields, \
	    .check = chk }

const struct kind kind_scope = {
	.name = "scope", .tool = "secmon", .flags = 0,
	.doc = "a namespace of monitoring configuration, flushed as one",
	.fields = scope_fields,
};
SECMON_KIND("source", source, NULL, 0,
    "a monitored VM interface, known by its MAC address");
SECMON_KIND("classification", classification, classification_check, 0,
    "what packets look like: addresses, ports, protocol, VLAN");
SECMON_KIND("rule", rule, NULL, 0,
    "a classification with a priority, an action and a truncation");
SECMON_KIND("policy", policy, NULL, 0, "an ordered group of rules");
SECMON_KIND("netflow-collector", netflow_collector, NULL, 0,
    "a NetFlow/IPFIX collector");
SECMON_KIND("netflow-collector-set", netflow_collector_set,
    collector_set_check, 0, "NetFlow collectors balanced as one");
SECMON_KIND("netflow-association", netflow_association, association_check,
    0, "a source's traffic, by a policy, to NetFlow collectors");
SECMON_KIND("rawforward-collector", rawforward_collector,
    rawforward_collector_check, 0,
    "an analyzer that receives encapsulated packets");
SECMON_KIND("rawforward-collector-set", rawforward_collector_set,
    collector_set_check, 0, "rawforward collectors balanced as one");
SECMON_KIND("rawforward-association", rawforward_association,
    association_check, 0,
    "a source's traffic, by a policy, to rawforward collectors");
SECMON_KIND("sflow-collector", sflow_collector, NULL, 0,
    "an sFlow collector");
SECMON_KIND("sflow-collector-set", sflow_collector_set, collector_set_check,
    0, "sFlow collectors balanced as one");
SECMON_KIND("sflow-association", sflow_association, association_check, 0,
    "a source's traffic, by a policy, to sFlow collectors");
SECMON_KIND("netflow-config", netflow_config, netflow_config_check,
    K_PER_SCOPE, "the scope's NetFlow settings");
SECMON_KIND("netflow-monitor", netflow_monitor, NULL, K_PER_SCOPE,
    "the scope's flow key and collected fields");
SECMON_KIND("sflow-config", sflow_config, NULL, K_PER_SCOPE,
    "the scope's sFlow settings");
