/*
 * secmonctl: manage the monitoring configuration (scopes, sources,
 * classifications, rules, policies, collectors, collector sets,
 * associations, and the plugins' settings) in a VNB store.
 */
#include "ctl.h"

static const struct ctl_tool secmonctl = {
	.prog = "secmonctl",
	.kinds = "secmon",
	.verbs = NULL,
};

int
main(int argc, char **argv)
{
	return ctl_main(&secmonctl, argc, argv);
}
