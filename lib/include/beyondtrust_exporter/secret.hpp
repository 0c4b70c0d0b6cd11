#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace beyondtrust_exporter {

// A credential that prints as "<secret>" wherever it is formatted, so it
// cannot reach a log line or --config.check output by accident. Read the
// value only with reveal(), at the point where it goes on the wire.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  const std::string& reveal() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }

  friend bool operator==(const Secret&, const Secret&) = default;
  friend std::ostream& operator<<(std::ostream& out, const Secret&) {
    return out << "<secret>";
  }

 private:
  std::string value_;
};

}  // namespace beyondtrust_exporter
