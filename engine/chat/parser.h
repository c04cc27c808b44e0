// Builds the statement tree of a template from its segments (lexer.h). Supported statements:
// if/elif/else, for (tuple targets, `if` filter, else), set (names, tuples, namespace
// attributes, block set), macro, break/continue (jinja2.ext.loopcontrols, which transformers
// loads), generation (transformers' AssistantTracker), raw (in the lexer). Anything else
// (include, extends, block, import, call, filter, with, ...) is an InputError
// "ORIGIN:LINE: unsupported template construct '{% NAME %}'".
#pragma once

#include <string>
#include <vector>

#include "engine/chat/ast.h"
#include "engine/chat/lexer.h"

namespace strata::chat {

Body parse_template(const std::vector<Segment>& segments, const std::string& origin);

}  // namespace strata::chat
