// WarningOnce: forwards each distinct fallback warning once for a group of files. A store opens
// dozens of files on one file system; "O_DIRECT refused" said once for the store says it all.
// A UringFile warning "PATH: text" is forwarded as "GROUP: text" the first time `text` is seen.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <utility>

#include "offload/uring_file_options.h"

namespace strata {

class WarningOnce {
 public:
  WarningOnce(WarningSink sink, std::string group)
      : state_(std::make_shared<State>(State{std::move(sink), std::move(group), {}})) {}

  // The sink to give the UringFile opened at `path`.
  WarningSink sink_for(const std::string& path) const {
    if (!state_->sink) return {};
    return [state = state_, prefix = path + ": "](const std::string& message) {
      const std::string text =
          message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message;
      if (state->seen.insert(text).second) state->sink(state->group + ": " + text);
    };
  }

 private:
  struct State {
    WarningSink sink;
    std::string group;
    std::set<std::string> seen;
  };
  std::shared_ptr<State> state_;  // shared with the sinks handed out, which may outlive *this
};

}  // namespace strata
