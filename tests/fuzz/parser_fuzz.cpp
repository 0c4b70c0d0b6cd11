// Feeds arbitrary bytes to parse_logged_in_reps and checks what a caller
// relies on: an error has a parse or api_error reason and a message, and a
// parsed response has reps with non-empty, unique ids and a bounded number of
// warnings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <unordered_set>

#include "beyondtrust_exporter/logged_in_reps_parser.hpp"

namespace {

using beyondtrust_exporter::LoggedInReps;
using beyondtrust_exporter::PollErrorReason;
using beyondtrust_exporter::PollResult;

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  PollResult<LoggedInReps> result =
      beyondtrust_exporter::parse_logged_in_reps(body);

  if (result.has_error()) {
    check(result.error().reason == PollErrorReason::parse ||
          result.error().reason == PollErrorReason::api_error);
    check(!result.error().message.empty());
    return 0;
  }

  // 100 warnings plus the line that counts the rest.
  check(result->warnings.size() <= 101);
  std::unordered_set<std::string_view> ids;
  for (const beyondtrust_exporter::Rep& rep : result->reps) {
    check(!rep.id.empty());
    check(ids.insert(rep.id).second);
  }
  return 0;
}
