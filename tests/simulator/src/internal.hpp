#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "beyondtrust_simulator/simulator.hpp"

// Pieces of the simulator that need no networking, so that only server.cpp
// includes Beast.
namespace beyondtrust_simulator::detail {

// ---- population.cpp

// Moves a demo population one step: some reps log in or out, and session,
// presentation and list flags change. Keeps the size within half and one
// and a half times `target`.
void step_demo_population(std::vector<SimRep>& reps, std::size_t target,
                          std::int64_t now, std::uint64_t& next_id,
                          std::mt19937_64& random);

// The population with the types extra_rep_types serves.
std::vector<SimRep> served_reps(const std::vector<SimRep>& reps,
                                const Variant& variant);

// ---- render.cpp

std::string_view namespace_uri(XmlNamespace xml_namespace);

// The vendor-style response to an unknown or missing action: <error> as the
// root element, sent with HTTP 200.
std::string render_action_error(std::string_view message,
                                const Variant& variant);

// XML body of a 401 to a command call.
std::string render_unauthorized_xml(const Variant& variant);

// A body that starts like a valid response and breaks off inside a tag.
std::string render_malformed_xml(const std::vector<SimRep>& reps,
                                 const Variant& variant, std::uint64_t seed);

// An oversized body in three parts: head, a block repeated as often as fits,
// and tail. Spaces after the last block make the body exactly the requested
// size, unless head and tail alone are larger.
struct RepeatedBody {
  std::string head;
  std::string block;
  std::string tail;
};
RepeatedBody oversized_xml(const Variant& variant);
RepeatedBody oversized_json();

std::string xml_escape(std::string_view text);
// ISO 8601 text of a UNIX time, shifted to a UTC offset in minutes, with
// "+02:00" (colon) or "+0200" (compact) or "Z" when `utc_z` is set.
std::string iso_8601(std::int64_t unix_seconds, int offset_minutes,
                     bool compact_offset, bool utc_z,
                     std::string_view fraction = {});

// ---- tokens.cpp

// Live OAuth tokens of one API account: at most 30, the oldest evicted
// first when a 31st is minted. Not thread-safe, so the server calls it under
// its mutex.
class TokenStore {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t max_live_tokens = 30;

  explicit TokenStore(std::uint64_t seed);

  // Mints a token valid for `lifetime` from `now`.
  std::string mint(Clock::time_point now, Clock::duration lifetime);
  // True when the token is known, not evicted or revoked, and unexpired.
  bool valid(std::string_view token, Clock::time_point now) const;
  void revoke_all();
  std::size_t live(Clock::time_point now) const;

 private:
  struct Token {
    std::string value;
    Clock::time_point expires;
  };
  void drop_expired(Clock::time_point now);

  std::deque<Token> tokens_;  // oldest first
  std::mt19937_64 random_;
};

// ---- control.cpp

// Parsers of the control API's JSON bodies and the simulator flags. Each
// returns an error message, or nothing on success. Fields absent from the
// object keep their value in `out`.
std::optional<std::string> apply_variant_json(std::string_view json,
                                              Variant& out);
std::optional<std::string> apply_fault_json(std::string_view json, Fault& out);

// A control request to replace the population: either exact reps or a
// generated population.
struct RepsRequest {
  std::optional<std::vector<SimRep>> reps;
  std::size_t count = 0;
  std::uint64_t seed = 1;
};
std::optional<std::string> parse_reps_json(std::string_view json,
                                           RepsRequest& out);
std::optional<std::string> parse_certificate_json(std::string_view json,
                                                  CertificateProfile& out);

std::string variant_to_json(const Variant& variant);
std::string fault_to_json(const Fault& fault);
std::string stats_to_json(const Stats& stats);
std::string reps_to_json(const std::vector<SimRep>& reps);
// {"message": "..."} with the text escaped.
std::string message_json(std::string_view message);

// Converts "key=value,key=value" (the flag form) to a JSON object whose
// values are strings, numbers or booleans as they read.
std::optional<std::string> key_values_to_json(std::string_view text,
                                              std::string& json);

}  // namespace beyondtrust_simulator::detail
