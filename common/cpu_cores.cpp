#include "common/cpu_cores.h"

#include <sched.h>
#include <unistd.h>

namespace strata {

int available_cpu_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const long online = sysconf(_SC_NPROCESSORS_ONLN);  // no affinity mask: every online core
  return online > 0 ? int(online) : 1;
}

}  // namespace strata
