// The global functions a render sees: Jinja's range, namespace and dict, and the two
// transformers adds (chat_template_utils._compile_jinja_template): raise_exception(message),
// which aborts the render with the template's message, and strftime_now(format), which formats
// the current local time (pinned by RenderOptions::now in tests).
#include <chrono>
#include <iomanip>
#include <locale>
#include <sstream>

#include "engine/chat/builtins.h"
#include "engine/chat/call_args.h"
#include "engine/chat/renderer.h"
#include "engine/chat/value_format.h"

namespace strata::chat {
namespace {

Value g_range(Renderer&, const CallArgs& a) {
  if (!a.keyword.empty() || a.positional.empty() || a.positional.size() > 3) {
    template_fail("range() takes 1 to 3 positional arguments");
  }
  std::vector<int64_t> n;
  for (const auto& v : a.positional) {
    if (v.kind() != Value::Kind::kInt && v.kind() != Value::Kind::kBool)
      template_fail("range() needs integers, got ", v.type_name());
    n.push_back(v.as_int());
  }
  const int64_t start = n.size() > 1 ? n[0] : 0, stop = n.size() > 1 ? n[1] : n[0];
  const int64_t step = n.size() > 2 ? n[2] : 1;
  if (step == 0) template_fail("range() arg 3 must not be zero");
  // Jinja's sandbox caps ranges at MAX_RANGE = 100000 items.
  if ((stop - start) / step > 100000)
    template_fail("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  ValueList out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.emplace_back(i);
  return Value::list(std::move(out));
}

Dict dict_from_args(const char* name, const CallArgs& a) {
  Dict d;
  if (a.positional.size() > 1) template_fail(name, "() takes at most one positional argument");
  if (!a.positional.empty()) {
    if (!a.positional[0].is_dict()) template_fail(name, "(): the positional argument must be a mapping");
    d = a.positional[0].dict();
  }
  for (const auto& [k, v] : a.keyword) d.set(k, v);
  return d;
}

Value g_namespace(Renderer&, const CallArgs& a) { return Value::namespace_(dict_from_args("namespace", a)); }
Value g_dict(Renderer&, const CallArgs& a) { return Value::dict(dict_from_args("dict", a)); }

Value g_raise_exception(Renderer&, const CallArgs& a) {
  BoundArgs b("raise_exception", a, {"message"});
  template_fail("the chat template raised an error: ", py_str(b.get(0)));
}

Value g_strftime_now(Renderer& r, const CallArgs& a) {
  BoundArgs b("strftime_now", a, {"format"});
  const std::string format = b.str(0, "");
  const std::time_t now =
      r.options().now.value_or(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()));
  std::tm local{};
  localtime_r(&now, &local);
  // Python formats with the C locale unless a program changes LC_TIME: English names.
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out << std::put_time(&local, format.c_str());
  return Value(out.str());
}

}  // namespace

Dict global_functions() {
  Dict d;
  d.items = {{"range", Value::callable("range", g_range)},
             {"namespace", Value::callable("namespace", g_namespace)},
             {"dict", Value::callable("dict", g_dict)},
             {"raise_exception", Value::callable("raise_exception", g_raise_exception)},
             {"strftime_now", Value::callable("strftime_now", g_strftime_now)}};
  return d;
}

}  // namespace strata::chat
