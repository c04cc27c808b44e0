// What a model directory holds, identified cheaply: each regular file's name, size, inode,
// modification and status-change times, hashed (xxHash64, hex). A file rewritten in place — even
// with its old modification time put back — changes its status-change time, which no user can
// set; so the automatic conversion cache (runtime/store_cache) and a job's journal (cli/job)
// never take another model's weights, config or tokenizer for this one. Copying or touching
// the files changes the identity too: that costs a reconversion or a refused --resume, never a
// mixed result.
#pragma once

#include <filesystem>
#include <string>

namespace strata {

std::string model_files_identity(const std::filesystem::path& model_dir);

}  // namespace strata
