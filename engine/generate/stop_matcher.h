// StopMatcher: finds the earliest stop string in a sequence's generated text. The text is
// decoded from all generated tokens each time, because a stop string (or one UTF-8 character)
// may be split across tokens.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace strata {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {}

  // The byte offset where the earliest stop string begins in text, if any.
  std::optional<size_t> find(const std::string& text) const {
    std::optional<size_t> first;
    for (const std::string& s : stops_) {
      if (s.empty()) continue;
      const size_t at = text.find(s);
      if (at != std::string::npos && (!first || at < *first)) first = at;
    }
    return first;
  }
  bool empty() const { return stops_.empty(); }

 private:
  std::vector<std::string> stops_;
};

}  // namespace strata
