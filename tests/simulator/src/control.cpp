#include <fmt/format.h>

#include <array>
#include <boost/json.hpp>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "internal.hpp"

namespace json = boost::json;

namespace beyondtrust_simulator::detail {
namespace {

template <class Enum, std::size_t N>
using NameTable = std::array<std::pair<Enum, std::string_view>, N>;

constexpr NameTable<XmlNamespace, 4> xml_namespace_names{{
    {XmlNamespace::beyondtrust, "beyondtrust"},
    {XmlNamespace::bomgar_https, "bomgar_https"},
    {XmlNamespace::bomgar_http, "bomgar_http"},
    {XmlNamespace::none, "none"},
}};
constexpr NameTable<LoginTimeForm, 6> login_time_names{{
    {LoginTimeForm::ts_attribute, "ts_attribute"},
    {LoginTimeForm::iso_utc, "iso_utc"},
    {LoginTimeForm::iso_offset, "iso_offset"},
    {LoginTimeForm::iso_offset_compact, "iso_offset_compact"},
    {LoginTimeForm::iso_fractional, "iso_fractional"},
    {LoginTimeForm::unix_seconds, "unix_seconds"},
}};
constexpr NameTable<DirectLinkForm, 3> direct_link_names{{
    {DirectLinkForm::escaped, "escaped"},
    {DirectLinkForm::cdata, "cdata"},
    {DirectLinkForm::element, "element"},
}};
constexpr NameTable<NameForm, 4> name_form_names{{
    {NameForm::all, "all"},
    {NameForm::display_name_only, "display_name_only"},
    {NameForm::no_private, "no_private"},
    {NameForm::empty_private, "empty_private"},
}};
constexpr NameTable<XmlDeclaration, 3> declaration_names{{
    {XmlDeclaration::plain, "plain"},
    {XmlDeclaration::blank_lines, "blank_lines"},
    {XmlDeclaration::none, "none"},
}};
constexpr NameTable<ApiErrorForm, 3> api_error_names{{
    {ApiErrorForm::none, "none"},
    {ApiErrorForm::root, "root"},
    {ApiErrorForm::child, "child"},
}};
constexpr NameTable<UnauthorizedBody, 3> unauthorized_names{{
    {UnauthorizedBody::empty, "empty"},
    {UnauthorizedBody::json, "json"},
    {UnauthorizedBody::xml, "xml"},
}};
constexpr NameTable<FaultKind, 13> fault_kind_names{{
    {FaultKind::none, "none"},
    {FaultKind::delay, "delay"},
    {FaultKind::hang_mid_body, "hang_mid_body"},
    {FaultKind::close_without_answer, "close_without_answer"},
    {FaultKind::truncated_body, "truncated_body"},
    {FaultKind::oversized_body, "oversized_body"},
    {FaultKind::malformed_xml, "malformed_xml"},
    {FaultKind::status_500, "status_500"},
    {FaultKind::status_503, "status_503"},
    {FaultKind::status_429, "status_429"},
    {FaultKind::revoke_tokens, "revoke_tokens"},
    {FaultKind::early_expiry, "early_expiry"},
    {FaultKind::reject_credentials, "reject_credentials"},
}};
constexpr NameTable<FaultTarget, 3> fault_target_names{{
    {FaultTarget::command, "command"},
    {FaultTarget::token, "token"},
    {FaultTarget::both, "both"},
}};
constexpr NameTable<CertificateProfile, 4> certificate_names{{
    {CertificateProfile::valid, "valid"},
    {CertificateProfile::unknown_ca, "unknown_ca"},
    {CertificateProfile::wrong_host, "wrong_host"},
    {CertificateProfile::expired, "expired"},
}};

template <class Enum, std::size_t N>
std::string_view name_of(const NameTable<Enum, N>& table, Enum value) {
  for (const auto& [entry, name] : table) {
    if (entry == value) return name;
  }
  return "unknown";
}

template <class Enum, std::size_t N>
std::string allowed_names(const NameTable<Enum, N>& table) {
  std::string names;
  for (const auto& entry : table) {
    if (!names.empty()) names += ", ";
    names += entry.second;
  }
  return names;
}

// Reads the fields of one JSON object, collecting the first error.
class FieldReader {
 public:
  explicit FieldReader(const json::object& object) : object_(object) {}

  const std::optional<std::string>& error() const { return error_; }

  // Fails on a key no read_* call consumed, so a typo is not ignored.
  void reject_unknown_keys() {
    for (const auto& entry : object_) {
      bool known = false;
      for (const auto& key : known_keys_) known = known || key == entry.key();
      if (!known && !error_) {
        error_ =
            fmt::format("unknown key \"{}\"", std::string_view(entry.key()));
      }
    }
  }

  template <class Enum, std::size_t N>
  void read_enum(std::string_view key, const NameTable<Enum, N>& table,
                 Enum& out) {
    const json::value* value = find(key);
    if (value == nullptr) return;
    if (value->is_string()) {
      for (const auto& [entry, name] : table) {
        if (name == value->get_string()) {
          out = entry;
          return;
        }
      }
    }
    fail(key, fmt::format("one of {}", allowed_names(table)));
  }

  void read_bool(std::string_view key, bool& out) {
    const json::value* value = find(key);
    if (value == nullptr) return;
    if (value->is_bool()) {
      out = value->get_bool();
    } else {
      fail(key, "true or false");
    }
  }

  // Also accepts a number, which the flag form produces for digits.
  void read_string(std::string_view key, std::string& out) {
    const json::value* value = find(key);
    if (value == nullptr) return;
    if (value->is_string()) {
      out = value->get_string();
    } else if (value->is_int64() || value->is_uint64()) {
      out = json::serialize(*value);
    } else {
      fail(key, "a string");
    }
  }

  template <class Unsigned>
  void read_unsigned(std::string_view key, Unsigned& out) {
    const json::value* value = find(key);
    if (value == nullptr) return;
    if (value->is_uint64() || (value->is_int64() && value->get_int64() >= 0)) {
      out = static_cast<Unsigned>(value->to_number<std::uint64_t>());
    } else {
      fail(key, "a non-negative integer");
    }
  }

  void read_int(std::string_view key, std::int64_t& out) {
    const json::value* value = find(key);
    if (value == nullptr) return;
    if (value->is_int64()) {
      out = value->get_int64();
    } else {
      fail(key, "an integer");
    }
  }

  const json::value* find(std::string_view key) {
    known_keys_.push_back(key);
    return object_.if_contains(key);
  }

 private:
  void fail(std::string_view key, std::string_view expected) {
    if (!error_) {
      error_ =
          fmt::format("invalid value of \"{}\": expected {}", key, expected);
    }
  }

  const json::object& object_;
  std::vector<std::string_view> known_keys_;
  std::optional<std::string> error_;
};

std::optional<std::string> parse_object(std::string_view text,
                                        json::value& out) {
  boost::system::error_code error;
  out = json::parse(text, error);
  if (error) return "invalid JSON: " + error.message();
  if (!out.is_object()) return std::string("invalid JSON: expected an object");
  return std::nullopt;
}

std::optional<std::string> read_rep(const json::value& value, SimRep& rep) {
  if (!value.is_object()) return std::string("each rep must be an object");
  FieldReader reader(value.get_object());
  reader.read_unsigned("id", rep.id);
  reader.read_string("public_display_name", rep.public_display_name);
  reader.read_string("private_display_name", rep.private_display_name);
  reader.read_string("type", rep.type);
  reader.read_int("logged_in_since", rep.logged_in_since);
  reader.read_unsigned("support_session_count", rep.support_session_count);
  reader.read_unsigned("presentation_count", rep.presentation_count);
  reader.read_bool("showing_on_rep_list", rep.showing_on_rep_list);
  reader.reject_unknown_keys();
  return reader.error();
}

}  // namespace

std::optional<std::string> apply_variant_json(std::string_view text,
                                              Variant& out) {
  json::value value;
  if (auto error = parse_object(text, value)) return error;

  Variant variant = out;
  FieldReader reader(value.get_object());
  reader.read_enum("namespace", xml_namespace_names, variant.xml_namespace);
  reader.read_enum("login_time", login_time_names, variant.login_time);
  reader.read_enum("direct_link", direct_link_names, variant.direct_link);
  reader.read_enum("names", name_form_names, variant.names);
  reader.read_enum("declaration", declaration_names, variant.declaration);
  reader.read_enum("api_error", api_error_names, variant.api_error);
  reader.read_string("api_error_text", variant.api_error_text);
  reader.read_bool("extra_rep_types", variant.extra_rep_types);
  reader.read_bool("shuffled_elements", variant.shuffled_elements);
  reader.read_enum("unauthorized_body", unauthorized_names,
                   variant.unauthorized_body);
  reader.read_bool("rate_limit_headers", variant.rate_limit_headers);
  reader.read_bool("healthy", variant.healthy);
  reader.reject_unknown_keys();
  if (reader.error()) return reader.error();
  out = std::move(variant);
  return std::nullopt;
}

std::optional<std::string> apply_fault_json(std::string_view text, Fault& out) {
  json::value value;
  if (auto error = parse_object(text, value)) return error;

  Fault fault = out;
  FieldReader reader(value.get_object());
  reader.read_enum("kind", fault_kind_names, fault.kind);
  reader.read_enum("target", fault_target_names, fault.target);
  std::uint64_t delay_ms = static_cast<std::uint64_t>(fault.delay.count());
  reader.read_unsigned("delay_ms", delay_ms);
  fault.delay = std::chrono::milliseconds(delay_ms);
  if (const json::value* retry = reader.find("retry_after")) {
    if (retry->is_null()) {
      fault.retry_after.reset();
    } else {
      std::string retry_after;
      reader.read_string("retry_after", retry_after);
      fault.retry_after = retry_after;
    }
  }
  reader.read_unsigned("count", fault.count);
  std::uint64_t lifetime_ms =
      static_cast<std::uint64_t>(fault.token_lifetime.count());
  reader.read_unsigned("token_lifetime_ms", lifetime_ms);
  fault.token_lifetime = std::chrono::milliseconds(lifetime_ms);
  reader.read_unsigned("body_bytes", fault.body_bytes);
  reader.reject_unknown_keys();
  if (reader.error()) return reader.error();
  out = std::move(fault);
  return std::nullopt;
}

std::optional<std::string> parse_reps_json(std::string_view text,
                                           RepsRequest& out) {
  json::value value;
  if (auto error = parse_object(text, value)) return error;

  RepsRequest request;
  FieldReader reader(value.get_object());
  if (const json::value* reps = reader.find("reps")) {
    if (!reps->is_array()) return std::string("\"reps\" must be an array");
    request.reps.emplace();
    for (const auto& entry : reps->get_array()) {
      SimRep rep;
      if (auto error = read_rep(entry, rep)) return error;
      request.reps->push_back(std::move(rep));
    }
  }
  reader.read_unsigned("count", request.count);
  reader.read_unsigned("seed", request.seed);
  reader.reject_unknown_keys();
  if (reader.error()) return reader.error();
  out = std::move(request);
  return std::nullopt;
}

std::optional<std::string> parse_certificate_json(std::string_view text,
                                                  CertificateProfile& out) {
  json::value value;
  if (auto error = parse_object(text, value)) return error;
  FieldReader reader(value.get_object());
  reader.read_enum("profile", certificate_names, out);
  reader.reject_unknown_keys();
  return reader.error();
}

std::string variant_to_json(const Variant& variant) {
  json::object object;
  object["namespace"] = name_of(xml_namespace_names, variant.xml_namespace);
  object["login_time"] = name_of(login_time_names, variant.login_time);
  object["direct_link"] = name_of(direct_link_names, variant.direct_link);
  object["names"] = name_of(name_form_names, variant.names);
  object["declaration"] = name_of(declaration_names, variant.declaration);
  object["api_error"] = name_of(api_error_names, variant.api_error);
  object["api_error_text"] = variant.api_error_text;
  object["extra_rep_types"] = variant.extra_rep_types;
  object["shuffled_elements"] = variant.shuffled_elements;
  object["unauthorized_body"] =
      name_of(unauthorized_names, variant.unauthorized_body);
  object["rate_limit_headers"] = variant.rate_limit_headers;
  object["healthy"] = variant.healthy;
  return json::serialize(object);
}

std::string fault_to_json(const Fault& fault) {
  json::object object;
  object["kind"] = name_of(fault_kind_names, fault.kind);
  object["target"] = name_of(fault_target_names, fault.target);
  object["delay_ms"] = fault.delay.count();
  if (fault.retry_after) {
    object["retry_after"] = *fault.retry_after;
  } else {
    object["retry_after"] = nullptr;
  }
  object["count"] = fault.count;
  object["token_lifetime_ms"] = fault.token_lifetime.count();
  object["body_bytes"] = fault.body_bytes;
  return json::serialize(object);
}

std::string stats_to_json(const Stats& stats) {
  json::object object;
  object["connections"] = stats.connections;
  object["tls_failures"] = stats.tls_failures;
  object["token_requests"] = stats.token_requests;
  object["tokens_issued"] = stats.tokens_issued;
  object["command_requests"] = stats.command_requests;
  object["unauthorized_commands"] = stats.unauthorized_commands;
  object["health_requests"] = stats.health_requests;
  object["control_requests"] = stats.control_requests;
  object["other_requests"] = stats.other_requests;
  object["faults_applied"] = stats.faults_applied;
  object["live_tokens"] = stats.live_tokens;
  json::object by_path;
  for (const auto& [path, count] : stats.requests_by_path) {
    by_path[path] = count;
  }
  object["requests_by_path"] = std::move(by_path);
  json::object by_status;
  for (const auto& [status, count] : stats.responses_by_status) {
    by_status[std::to_string(status)] = count;
  }
  object["responses_by_status"] = std::move(by_status);
  return json::serialize(object);
}

std::string reps_to_json(const std::vector<SimRep>& reps) {
  json::array array;
  array.reserve(reps.size());
  for (const auto& rep : reps) {
    array.push_back(json::object{
        {"id", rep.id},
        {"public_display_name", rep.public_display_name},
        {"private_display_name", rep.private_display_name},
        {"type", rep.type},
        {"logged_in_since", rep.logged_in_since},
        {"support_session_count", rep.support_session_count},
        {"presentation_count", rep.presentation_count},
        {"showing_on_rep_list", rep.showing_on_rep_list},
    });
  }
  return json::serialize(json::object{{"reps", std::move(array)}});
}

std::string message_json(std::string_view message) {
  return json::serialize(json::object{{"message", message}});
}

std::optional<std::string> key_values_to_json(std::string_view text,
                                              std::string& out) {
  json::object object;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view pair = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{}
                                           : text.substr(comma + 1);
    const auto equals = pair.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      return fmt::format("invalid setting \"{}\": expected key=value", pair);
    }
    const std::string_view key = pair.substr(0, equals);
    const std::string_view value = pair.substr(equals + 1);

    std::uint64_t number = 0;
    const auto [end, error] =
        std::from_chars(value.data(), value.data() + value.size(), number);
    if (value == "true" || value == "false") {
      object[key] = value == "true";
    } else if (!value.empty() && error == std::errc{} &&
               end == value.data() + value.size()) {
      object[key] = number;
    } else {
      object[key] = value;
    }
  }
  out = json::serialize(object);
  return std::nullopt;
}

}  // namespace beyondtrust_simulator::detail
