#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "beyondtrust_simulator/simulator.hpp"
#include "internal.hpp"

namespace beyondtrust_simulator {
namespace {

// Names with non-ASCII letters from several scripts, so that a client
// which mangles UTF-8 shows it in labels.
constexpr std::array<const char*, 16> first_names = {
    "Zoë",    "Søren", "Łukasz", "José",   "Ana",   "Björn", "Chloé", "Dmitri",
    "Aiyana", "Renée", "Jürgen", "Noémie", "Yusuf", "明",    "Ἀθηνᾶ", "Olivia"};
constexpr std::array<const char*, 16> last_names = {
    "Ångström", "Ødegård", "Wiśniewski", "Müller",   "Núñez", "Þórsson",
    "Dvořák",   "Иванов",  "Smith",      "Nakamura", "Çelik", "Öztürk",
    "García",   "李",      "O'Neill",    "Kowalczyk"};
constexpr std::array<const char*, 4> teams = {"Tier 1", "Tier 2", "Escalation",
                                              "Onboarding"};

// A value below `bound` from the generator. The standard fixes the output of
// mt19937_64 but not of its distributions, so this keeps populations
// identical across standard libraries.
std::uint64_t below(std::mt19937_64& random, std::uint64_t bound) {
  return bound == 0 ? 0 : random() % bound;
}

std::string public_name(std::size_t index, std::mt19937_64& random) {
  std::string name = first_names[below(random, first_names.size())];
  name += ' ';
  name += last_names[below(random, last_names.size())];

  // Every tenth name carries quotes, every tenth a backslash, every tenth
  // XML special characters, and every fiftieth is over 300 bytes long.
  switch (index % 10) {
    case 3:
      name += " \"Ace\" O'Brien";
      break;
    case 5:
      name += " R&D <Tier 2>";
      break;
    case 7:
      name += " Back\\Slash\\";
      break;
    default:
      break;
  }
  if (index % 50 == 11) {
    for (int i = 0; i < 30; ++i) name += " Maximilian";
  }
  return name;
}

SimRep make_rep(std::uint64_t id, std::size_t index, std::int64_t login_time,
                std::mt19937_64& random) {
  SimRep rep;
  rep.id = id;
  rep.public_display_name = public_name(index, random);
  rep.private_display_name =
      rep.public_display_name + " [" + teams[below(random, teams.size())] + "]";
  rep.type = below(random, 5) == 0 ? "Invited" : "Normal";
  rep.logged_in_since = login_time;
  rep.support_session_count = static_cast<std::uint32_t>(below(random, 5));
  rep.presentation_count = below(random, 10) == 0 ? 1 : 0;
  rep.showing_on_rep_list = below(random, 4) != 0;
  return rep;
}

}  // namespace

std::vector<SimRep> generate_reps(std::size_t count, std::uint64_t seed,
                                  std::int64_t population_time) {
  std::mt19937_64 random(seed);
  std::vector<SimRep> reps;
  reps.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    // Logged in at some point during the last eight hours.
    const auto login =
        population_time - static_cast<std::int64_t>(below(random, 8 * 3600));
    reps.push_back(make_rep(100 + i, i, login, random));
  }
  return reps;
}

namespace detail {

void step_demo_population(std::vector<SimRep>& reps, std::size_t target,
                          std::int64_t now, std::uint64_t& next_id,
                          std::mt19937_64& random) {
  for (auto& rep : reps) {
    if (below(random, 5) == 0) {
      // A session starts or ends.
      if (below(random, 2) == 0 || rep.support_session_count == 0) {
        rep.support_session_count =
            std::min<std::uint32_t>(rep.support_session_count + 1, 8);
      } else {
        --rep.support_session_count;
      }
    }
    if (below(random, 20) == 0) {
      rep.presentation_count = rep.presentation_count == 0 ? 1 : 0;
    }
    if (below(random, 30) == 0) {
      rep.showing_on_rep_list = !rep.showing_on_rep_list;
    }
  }

  const std::size_t low = target / 2;
  const std::size_t high = target + target / 2;
  if (reps.size() > low && below(random, 2) == 0) {
    reps.erase(reps.begin() +
               static_cast<std::ptrdiff_t>(below(random, reps.size())));
  }
  if (reps.size() < high && below(random, 2) == 0) {
    const std::uint64_t id = next_id++;
    auto rep = make_rep(id, static_cast<std::size_t>(id), now, random);
    rep.support_session_count = 0;
    rep.presentation_count = 0;
    reps.push_back(std::move(rep));
  }
}

std::vector<SimRep> served_reps(const std::vector<SimRep>& reps,
                                const Variant& variant) {
  if (!variant.extra_rep_types) return reps;
  std::vector<SimRep> served = reps;
  for (std::size_t i = 0; i < served.size(); ++i) {
    if (i % 7 == 6) {
      served[i].type = "Trainee";
    } else if (i % 3 == 2) {
      served[i].type = "Embassy";
    }
  }
  return served;
}

}  // namespace detail
}  // namespace beyondtrust_simulator
