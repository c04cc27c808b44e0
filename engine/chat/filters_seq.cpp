// Jinja's sequence filters over template values.
#include "engine/chat/filters_seq.h"

#include <algorithm>

#include "engine/chat/call_args.h"
#include "engine/chat/operators.h"
#include "engine/chat/renderer.h"
#include "engine/chat/text.h"
#include "engine/chat/value_format.h"

namespace strata::chat {
namespace {

// Jinja compares strings case-insensitively unless case_sensitive=True (ASCII folding here).
Value sort_key(const Value& v, bool case_sensitive) {
  return !case_sensitive && v.is_string() ? Value(ascii_lower(v.str())) : v;
}

Value attribute_or_self(Renderer& r, const Value& v, const BoundArgs& b, size_t attr_index) {
  return b.has(attr_index) ? get_attribute_path(r, v, py_str(b.get(attr_index))) : v;
}

// select/reject (by test on the item) and selectattr/rejectattr (by test on an attribute).
Value select_impl(Renderer& r, const Value& v, const CallArgs& a, bool by_attr, bool keep_when) {
  const char* name = by_attr ? (keep_when ? "selectattr" : "rejectattr") : (keep_when ? "select" : "reject");
  size_t next = 0;
  std::string attr;
  if (by_attr) {
    if (a.positional.empty() || !a.positional[0].is_string())
      template_fail(name, "() needs an attribute name");
    attr = a.positional[0].str();
    next = 1;
  }
  std::string test;
  if (a.positional.size() > next) {
    if (!a.positional[next].is_string()) template_fail(name, "(): the test name must be a string");
    test = a.positional[next].str();
    ++next;
  }
  CallArgs test_args;
  test_args.positional.assign(a.positional.begin() + std::min(next, a.positional.size()), a.positional.end());
  test_args.keyword = a.keyword;
  ValueList out;
  for (const auto& item : iterate(v)) {
    const Value subject = by_attr ? get_attribute_path(r, item, attr) : item;
    const bool pass = test.empty() ? subject.truthy() : r.apply_test(test, subject, test_args);
    if (pass == keep_when) out.push_back(item);
  }
  return Value::list(std::move(out));
}

}  // namespace

Value get_attribute_path(Renderer& r, const Value& v, const std::string& path) {
  Value cur = v;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (cur.is_undefined()) template_fail(cur.undefined_reason());
    if (cur.is_dict() && cur.dict().find(part)) {
      cur = *cur.dict().find(part);
    } else if (cur.is_list() && !part.empty() && part.find_first_not_of("0123456789") == std::string::npos) {
      const size_t i = std::stoul(part);
      cur = i < cur.items().size() ? cur.items()[i] : Value::undefined(str_cat("no element ", part));
    } else if (cur.kind() == Value::Kind::kNamespace && cur.ns().find(part)) {
      cur = *cur.ns().find(part);
    } else {
      cur = Value::undefined(str_cat("'", cur.type_name(), " object' has no attribute '", part, "'"));
    }
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

Value filter_length(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs("length", a, {});
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return Value(0);
    case Value::Kind::kString:
      return Value(static_cast<int64_t>(decode_utf8(v.str()).size()));
    case Value::Kind::kList:
      return Value(static_cast<int64_t>(v.items().size()));
    case Value::Kind::kDict:
      return Value(static_cast<int64_t>(v.dict().items.size()));
    default:
      template_fail("object of type '", v.type_name(), "' has no len()");
  }
}

Value filter_list(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs("list", a, {});
  return Value::list(iterate(v));
}

Value filter_first(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs("first", a, {});
  const ValueList items = iterate(v);
  return items.empty() ? Value::undefined("No first item, sequence was empty.") : items.front();
}

Value filter_last(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs("last", a, {});
  const ValueList items = iterate(v);
  return items.empty() ? Value::undefined("No last item, sequence was empty.") : items.back();
}

Value filter_join(Renderer& r, const Value& v, const CallArgs& a) {
  BoundArgs b("join", a, {"d", "attribute"});
  const std::string sep = b.str(0, "");
  std::string out;
  bool first = true;
  for (const auto& item : iterate(v)) {
    if (!first) out += sep;
    out += py_str(attribute_or_self(r, item, b, 1));
    first = false;
  }
  return Value(out);
}

Value filter_reverse(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs("reverse", a, {});
  if (v.is_string()) {
    std::u32string cps = decode_utf8(v.str());
    std::reverse(cps.begin(), cps.end());
    return Value(encode_utf8(cps));
  }
  ValueList items = iterate(v);
  std::reverse(items.begin(), items.end());
  return Value::list(std::move(items));
}

Value filter_items(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs("items", a, {});
  if (v.is_undefined()) return Value::list({});
  if (!v.is_dict()) template_fail("Can only get item pairs from a mapping.");
  ValueList pairs;
  for (const auto& [k, val] : v.dict().items) pairs.push_back(Value::list({Value(k), val}, true));
  return Value::list(std::move(pairs));
}

Value filter_dictsort(Renderer&, const Value& v, const CallArgs& a) {
  BoundArgs b("dictsort", a, {"case_sensitive", "by", "reverse"});
  if (!v.is_dict()) template_fail("dictsort(): expected a mapping, got ", v.type_name());
  const bool cs = b.flag(0, false), rev = b.flag(2, false);
  const std::string by = b.str(1, "key");
  if (by != "key" && by != "value") template_fail("You can only sort by either \"key\" or \"value\"");
  ValueList pairs;
  for (const auto& [k, val] : v.dict().items) pairs.push_back(Value::list({Value(k), val}, true));
  const size_t pos = by == "key" ? 0 : 1;
  std::stable_sort(pairs.begin(), pairs.end(), [&](const Value& x, const Value& y) {
    const Value kx = sort_key(x.items()[pos], cs), ky = sort_key(y.items()[pos], cs);
    return rev ? py_less(ky, kx) : py_less(kx, ky);
  });
  return Value::list(std::move(pairs));
}

Value filter_sort(Renderer& r, const Value& v, const CallArgs& a) {
  BoundArgs b("sort", a, {"reverse", "case_sensitive", "attribute"});
  const bool rev = b.flag(0, false), cs = b.flag(1, false);
  ValueList items = iterate(v);
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    const Value kx = sort_key(attribute_or_self(r, x, b, 2), cs);
    const Value ky = sort_key(attribute_or_self(r, y, b, 2), cs);
    return rev ? py_less(ky, kx) : py_less(kx, ky);
  });
  return Value::list(std::move(items));
}

Value filter_unique(Renderer& r, const Value& v, const CallArgs& a) {
  BoundArgs b("unique", a, {"case_sensitive", "attribute"});
  const bool cs = b.flag(0, false);
  ValueList out, seen;
  for (const auto& item : iterate(v)) {
    const Value key = sort_key(attribute_or_self(r, item, b, 1), cs);
    if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return py_equal(s, key); })) {
      seen.push_back(key);
      out.push_back(item);
    }
  }
  return Value::list(std::move(out));
}

static Value min_max(Renderer& r, const Value& v, const CallArgs& a, bool want_max) {
  BoundArgs b(want_max ? "max" : "min", a, {"case_sensitive", "attribute"});
  const bool cs = b.flag(0, false);
  const ValueList items = iterate(v);
  if (items.empty()) return Value::undefined(std::string("No aggregated item, sequence was empty."));
  size_t best = 0;
  for (size_t i = 1; i < items.size(); ++i) {
    const Value ki = sort_key(attribute_or_self(r, items[i], b, 1), cs);
    const Value kb = sort_key(attribute_or_self(r, items[best], b, 1), cs);
    if (want_max ? py_less(kb, ki) : py_less(ki, kb)) best = i;
  }
  return items[best];
}
Value filter_min(Renderer& r, const Value& v, const CallArgs& a) { return min_max(r, v, a, false); }
Value filter_max(Renderer& r, const Value& v, const CallArgs& a) { return min_max(r, v, a, true); }

Value filter_sum(Renderer& r, const Value& v, const CallArgs& a) {
  BoundArgs b("sum", a, {"attribute", "start"});
  Value total = b.get_or(1, Value(0));
  for (const auto& item : iterate(v)) total = binary_op("+", total, attribute_or_self(r, item, b, 0));
  return total;
}

Value filter_map(Renderer& r, const Value& v, const CallArgs& a) {
  // map(attribute='x', default=...) or map('filter', *args, **kwargs).
  ValueList out;
  const Value* attribute = nullptr;
  const Value* dflt = nullptr;
  for (const auto& [k, val] : a.keyword) {
    if (k == "attribute") attribute = &val;
    if (k == "default") dflt = &val;
  }
  if (attribute) {
    for (const auto& item : iterate(v)) {
      Value got = get_attribute_path(r, item, py_str(*attribute));
      out.push_back(got.is_undefined() && dflt ? *dflt : got);
    }
    return Value::list(std::move(out));
  }
  if (a.positional.empty() || !a.positional[0].is_string())
    template_fail("map(): expected a filter name or attribute=");
  CallArgs rest;
  rest.positional.assign(a.positional.begin() + 1, a.positional.end());
  rest.keyword = a.keyword;
  for (const auto& item : iterate(v)) out.push_back(r.apply_filter(a.positional[0].str(), item, rest));
  return Value::list(std::move(out));
}

Value filter_select(Renderer& r, const Value& v, const CallArgs& a) {
  return select_impl(r, v, a, false, true);
}
Value filter_reject(Renderer& r, const Value& v, const CallArgs& a) {
  return select_impl(r, v, a, false, false);
}
Value filter_selectattr(Renderer& r, const Value& v, const CallArgs& a) {
  return select_impl(r, v, a, true, true);
}
Value filter_rejectattr(Renderer& r, const Value& v, const CallArgs& a) {
  return select_impl(r, v, a, true, false);
}

}  // namespace strata::chat
