/*
 * The table of every kind of object, referents before the kinds that
 * refer to them: export writes documents in this order, so that a reader
 * meets every name before it is used.
 */
#include <stddef.h>

#include "kind.h"

extern const struct kind kind_scope, kind_source, kind_classification,
    kind_rule, kind_policy, kind_netflow_collector,
    kind_netflow_collector_set, kind_netflow_association,
    kind_rawforward_collector, kind_rawforward_collector_set,
    kind_rawforward_association, kind_sflow_collector,
    kind_sflow_collector_set, kind_sflow_association, kind_netflow_config,
    kind_netflow_monitor, kind_sflow_config;
extern const struct kind kind_ca_certificate, kind_certificate,
    kind_ike_policy, kind_ipsec_policy, kind_endpoint_group,
    kind_local_site, kind_remote_site, kind_enforcer, kind_group_to_group,
    kind_localsite_to_localsite, kind_localsite_to_remotesite;

const struct kind *const kinds[] = {
	&kind_scope,
	&kind_source,
	&kind_classification,
	&kind_rule,
	&kind_policy,
	&kind_netflow_collector,
	&kind_netflow_collector_set,
	&kind_netflow_association,
	&kind_rawforward_collector,
	&kind_rawforward_collector_set,
	&kind_rawforward_association,
	&kind_sflow_collector,
	&kind_sflow_collector_set,
	&kind_sflow_association,
	&kind_netflow_config,
	&kind_netflow_monitor,
	&kind_sflow_config,
	&kind_ca_certificate,
	&kind_certificate,
	&kind_ike_policy,
	&kind_ipsec_policy,
	&kind_endpoint_group,
	&kind_local_site,
	&kind_remote_site,
	&kind_enforcer,
	&kind_group_to_group,
	&kind_localsite_to_localsite,
	&kind_localsite_to_remotesite,
	NULL
};
