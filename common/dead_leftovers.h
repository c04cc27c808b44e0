// Files and folders that a killed strata process left behind (kill -9, a power cut): the KV
// cache's `strata-kv-<PID>-<N>` folders in an offload directory, the `<name>.tmp-<PID>` of a
// store or an output being written, `strata-profile-<PID>.tmp`. The next run that looks in the
// directory removes those whose process no longer exists (issue 16, point 3); a live process's
// files are left alone, so two jobs may share an offload directory.
#pragma once

#include <filesystem>

namespace strata {

// Best effort: errors (a file already gone, no permission) are ignored. Returns how many
// entries were removed.
int remove_dead_leftovers(const std::filesystem::path& dir);

}  // namespace strata
