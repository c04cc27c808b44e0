// Temporaries that a killed strata process left behind (kill -9, a power cut): the KV cache's
// folders in an offload directory and the half-written `<store>.tmp-<tag>` of a store. Their
// names carry the writer's tag, "<pid>@<host>"; the next run that looks in the directory removes
// those of THIS host whose process no longer exists (issue 16, point 3). A live process's files,
// other hosts' files (an offload directory or a store cache on NFS shared by Slurm shards) and
// every name Strata does not generate are left alone.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace strata {

// "<pid>@<host>" of this process: the part of a temporary's name that says whose it is.
std::string process_tag();

// Removes the entries of `dir` named exactly `prefix` + a tag + `suffix` (where `suffix` may be
// followed by digits only: "strata-kv-" TAG "-" N) whose tag is this host's and whose process is
// gone. Best effort: errors are ignored. Returns how many were removed.
int remove_dead_leftovers(const std::filesystem::path& dir, std::string_view prefix,
                          std::string_view suffix = "");

}  // namespace strata
