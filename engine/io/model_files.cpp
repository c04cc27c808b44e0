#include "engine/io/model_files.h"

#include <sys/stat.h>

#include <array>
#include <string_view>

#include "common/error.h"

namespace strata {

void check_model_files_regular(const std::filesystem::path& model_dir) {
  constexpr std::array<std::string_view, 7> kRead = {".json", ".safetensors", ".txt", ".model",
                                                     ".bin", ".yaml", ".jinja"};
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(model_dir, ec)) {
    const std::string name = entry.path().filename().string();
    bool read = false;
    for (std::string_view ext : kRead) {
      read = read || (name.size() > ext.size() && name.compare(name.size() - ext.size(),
                                                               ext.size(), ext) == 0);
    }
    if (!read) continue;
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) != 0) continue;  // a dangling link: its reader says so
    STRATA_CHECK_INPUT(S_ISREG(st.st_mode), entry.path().string(), ": not a regular file (",
                       S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ? "a directory"
                                                                            : "a device or socket",
                       "); a model file must be a regular file");
  }
}

}  // namespace strata
