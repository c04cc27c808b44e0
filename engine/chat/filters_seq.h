// Jinja's sequence filters (engine-internal; filters.cpp registers them by name).
#pragma once

#include "engine/chat/value.h"

namespace strata::chat {

Value filter_length(Renderer& r, const Value& v, const CallArgs& a);
Value filter_list(Renderer& r, const Value& v, const CallArgs& a);
Value filter_first(Renderer& r, const Value& v, const CallArgs& a);
Value filter_last(Renderer& r, const Value& v, const CallArgs& a);
Value filter_join(Renderer& r, const Value& v, const CallArgs& a);
Value filter_reverse(Renderer& r, const Value& v, const CallArgs& a);
Value filter_items(Renderer& r, const Value& v, const CallArgs& a);
Value filter_dictsort(Renderer& r, const Value& v, const CallArgs& a);
Value filter_sort(Renderer& r, const Value& v, const CallArgs& a);
Value filter_unique(Renderer& r, const Value& v, const CallArgs& a);
Value filter_min(Renderer& r, const Value& v, const CallArgs& a);
Value filter_max(Renderer& r, const Value& v, const CallArgs& a);
Value filter_sum(Renderer& r, const Value& v, const CallArgs& a);
Value filter_map(Renderer& r, const Value& v, const CallArgs& a);
Value filter_select(Renderer& r, const Value& v, const CallArgs& a);
Value filter_reject(Renderer& r, const Value& v, const CallArgs& a);
Value filter_selectattr(Renderer& r, const Value& v, const CallArgs& a);
Value filter_rejectattr(Renderer& r, const Value& v, const CallArgs& a);

// value.attr or value["attr"], with dotted paths ("function.name") as Jinja's make_attrgetter.
Value get_attribute_path(Renderer& r, const Value& v, const std::string& path);

}  // namespace strata::chat
