#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace beyondtrust_exporter {

// One representative of a get_logged_in_reps response. A field the site left
// out, or sent with a value that could not be read, is empty (std::nullopt
// or ""), never guessed.
struct Rep {
  std::string id;                    // the `id` attribute
  std::string public_display_name;   // or `display_name` on old sites
  std::string private_display_name;  // empty on PRA sites
  std::string type;                  // "Normal", "Invited" or another type
  std::string direct_link_url;       // href of the `direct_link` anchor
  std::optional<std::int64_t> logged_in_since_seconds;  // UNIX time, UTC
  std::optional<std::uint64_t> presentation_count;
  std::optional<std::uint64_t> support_session_count;
  std::optional<bool> showing_on_rep_list;

  friend bool operator==(const Rep&, const Rep&) = default;
};

// The parsed response of get_logged_in_reps.
struct LoggedInReps {
  std::vector<Rep> reps;
  // Problems inside single reps (a bad number, a missing id) that did not
  // fail the whole response, each naming the rep and the element.
  std::vector<std::string> warnings;
};

}  // namespace beyondtrust_exporter
