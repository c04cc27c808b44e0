// Dummy models for `strata bench --dummy opt-6.7b`: a family's preset geometry (its real
// config.json, engine/models/<family>/), its tensor table filled with
// random (not constant) f16 weights, written once as a converted store inside the offload
// directory (strata-dummy-<name>/) and reused by later runs; nothing outside that directory is
// read or written. The tokenizer files hold only the specials and the 256 byte symbols.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>

namespace strata {

// The store of dummy model `name` under `offload_dir`, written now if missing. InputError for
// an unknown name (listing the known ones) or a missing offload directory.
std::filesystem::path dummy_store(const std::string& name, const std::filesystem::path& offload_dir,
                                  std::ostream* progress);

}  // namespace strata
