#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "internal.hpp"

namespace beyondtrust_simulator::detail {

TokenStore::TokenStore(std::uint64_t seed) : random_(seed) {}

std::string TokenStore::mint(Clock::time_point now, Clock::duration lifetime) {
  drop_expired(now);
  if (tokens_.size() >= max_live_tokens) {
    // A 31st token silently invalidates the oldest one, as on real sites.
    tokens_.pop_front();
  }
  // 256 bits from a generator seeded per run: unique within a run, which is
  // all a test double needs; nothing here is secret.
  std::string value;
  for (int i = 0; i < 4; ++i) value += fmt::format("{:016x}", random_());
  tokens_.push_back({value, now + lifetime});
  return value;
}

bool TokenStore::valid(std::string_view token, Clock::time_point now) const {
  return std::any_of(tokens_.begin(), tokens_.end(), [&](const Token& t) {
    return t.value == token && t.expires > now;
  });
}

void TokenStore::revoke_all() { tokens_.clear(); }

std::size_t TokenStore::live(Clock::time_point now) const {
  return static_cast<std::size_t>(
      std::count_if(tokens_.begin(), tokens_.end(),
                    [&](const Token& t) { return t.expires > now; }));
}

void TokenStore::drop_expired(Clock::time_point now) {
  std::erase_if(tokens_, [&](const Token& t) { return t.expires <= now; });
}

}  // namespace beyondtrust_simulator::detail
