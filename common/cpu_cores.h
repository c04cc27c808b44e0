// How many CPU cores this process may run on: the size of its affinity mask (sched_getaffinity),
// which taskset, cgroups' cpusets and container limits narrow; not the machine's core count.
// The default of --threads (issue 15 point 4).
#pragma once

namespace strata {

// >= 1.
int available_cpu_cores();

// The largest --threads accepted: far above any CPU's core count, low enough that a typo such as
// 40000 is refused before a thread is made.
inline constexpr int kMaxCpuThreads = 1024;

}  // namespace strata
