#pragma once

#include <string_view>

#include "beyondtrust_exporter/logged_in_reps.hpp"
#include "beyondtrust_exporter/poll_error.hpp"

namespace beyondtrust_exporter {

// Parses the XML body of a get_logged_in_reps response.
//
// Elements and attributes are matched by local name, so every namespace the
// API has used (and none, or a prefix) is accepted. Elements may come in any
// order, and unknown elements and attributes are ignored. Inside one <rep>,
// a value that cannot be read leaves its field empty and adds a warning that
// names the rep and the element. A <rep> without an id, or with the id of an
// earlier <rep>, is skipped with a warning. At most 100 warnings are kept,
// and one more line counts the rest.
//
// Errors:
// - parse: an empty body, malformed XML (the message gives the line and
//   column, counted in bytes from 1), text or a second element beside the
//   root, or a root element other than <logged_in_reps> or <error>.
// - api_error: an <error> element as the root or as a child of
//   <logged_in_reps>; the message carries its trimmed text (at most 1 KiB).
//
// Entities declared in a DOCTYPE are never expanded, so a reference such as
// "&lol9;" stays in the text as written, and external entities are never
// loaded. Text is not checked to be valid UTF-8.
//
// A pure function of its input: safe to call from any thread. It throws
// only std::bad_alloc.
PollResult<LoggedInReps> parse_logged_in_reps(std::string_view body);

}  // namespace beyondtrust_exporter
