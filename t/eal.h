/*
 * DPDK's EAL for the C tests and benchmarks of the dataplane: no
 * hugepages, no PCI devices, no telemetry, lcore 0 only, and a runtime
 * directory of its own under /var/run/dpdk that eal_stop() removes again.
 */
#ifndef VNB_T_EAL_H
#define VNB_T_EAL_H

/*
 * Start the EAL with mb megabytes of memory; -1 with a message on stderr.
 * eal_stop() runs at exit(3) too, so a test that bails out cleans up.
 */
int	eal_start(const char *prog, unsigned int mb);
void	eal_stop(void);

#endif
