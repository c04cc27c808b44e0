#include "runtime/model_identity.h"

#include <sys/stat.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <vector>

#include "common/error.h"

namespace strata {

std::string model_files_identity(const std::filesystem::path& model_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(model_dir, ec)) {
    std::error_code entry_ec;  // a dangling link is not a file of the model, not a listing error
    if (e.is_regular_file(entry_ec)) files.push_back(e.path());
  }
  STRATA_CHECK_INPUT(!ec, model_dir.string(), ": cannot list (", ec.message(), ")");
  std::sort(files.begin(), files.end());
  std::ostringstream text;
  text << fs::weakly_canonical(model_dir).string();
  for (const fs::path& f : files) {
    struct stat st {};
    if (::stat(f.c_str(), &st) != 0) continue;  // removed meanwhile: not part of the model
    text << '|' << f.filename().string() << ':' << st.st_size << ':' << st.st_ino << ':'
         << st.st_mtim.tv_sec << '.' << st.st_mtim.tv_nsec << ':' << st.st_ctim.tv_sec << '.'
         << st.st_ctim.tv_nsec;
  }
  const std::string s = text.str();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH64(s.data(), s.size(), 0)));
  return hex;
}

}  // namespace strata
