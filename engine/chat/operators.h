// Python's binary operators and comparisons over template values (+ - * / // % ** < <= > >=
// and `in`), with Python's result types and TypeError messages (thrown as TemplateFailure).
#pragma once

#include <string>

#include "engine/chat/value.h"

namespace strata::chat {

Value binary_op(const std::string& op, const Value& a, const Value& b);
bool compare_op(const std::string& op, const Value& a, const Value& b);
bool contains(const Value& container, const Value& item);
// Python's < over numbers, strings and sequences (for sort, min, max, dictsort).
bool py_less(const Value& a, const Value& b);
// Python slicing a[start:stop:step] over a list/tuple or a string (by code point).
Value py_slice(const Value& v, const Value& start, const Value& stop, const Value& step);

}  // namespace strata::chat
