// Shared by the chat-template tests: paths, the jinja2 reference (run once per batch of cases)
// and a byte comparison that reports where two renders first differ.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/chat/chat_template.h"

namespace strata::chat::testing {

// A fixed clock for strftime_now on both sides: 2025-01-15 12:00 UTC (not Llama 3.1's default
// date_string "26 Jul 2024", so a template that ignores strftime_now cannot pass by accident).
constexpr std::time_t kNow = 1736942400;

std::filesystem::path source_dir();
std::filesystem::path data_dir();  // tests/data/chat
// tests/reference/node_modules, or $STRATA_NPM_MODULES when set.
std::filesystem::path npm_modules_dir();
nlohmann::ordered_json read_json_file(const std::filesystem::path& path);
std::string read_text_file(const std::filesystem::path& path);

// Runs tests/reference/chat_template_reference.py on `request` (see its docstring) and returns
// its JSON list of {"text"} / {"error", "kind"}. Fails the test when python cannot run.
nlohmann::ordered_json jinja2_reference(const nlohmann::ordered_json& request);

// Empty when equal; else the first differing byte offset with context of both.
std::string describe_difference(const std::string& expected, const std::string& actual);

// What our engine answers for one case: the text, or the error message.
struct Rendered {
  std::optional<std::string> text;
  std::string error;
};

// Ends the process with 77 (ctest: skipped) after saying why on stderr, so a test whose data is
// absent is reported as skipped, never as passed.
[[noreturn]] void skip_test(const std::string& why);

}  // namespace strata::chat::testing
