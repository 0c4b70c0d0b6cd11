#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <ctime>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "beyondtrust_simulator/simulator.hpp"
#include "internal.hpp"

namespace beyondtrust_simulator {
namespace detail {

std::string_view namespace_uri(XmlNamespace xml_namespace) {
  switch (xml_namespace) {
    case XmlNamespace::beyondtrust:
      return "https://www.beyondtrust.com/namespaces/API/command";
    case XmlNamespace::bomgar_https:
      return "https://www.bomgar.com/namespaces/API/command";
    case XmlNamespace::bomgar_http:
      return "http://www.bomgar.com/namespaces/API/command";
    case XmlNamespace::none:
      break;
  }
  return {};
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string iso_8601(std::int64_t unix_seconds, int offset_minutes,
                     bool compact_offset, bool utc_z,
                     std::string_view fraction) {
  const std::time_t shifted =
      static_cast<std::time_t>(unix_seconds + offset_minutes * 60);
  std::tm parts{};
  gmtime_r(&shifted, &parts);
  std::string text =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}", parts.tm_year + 1900,
                  parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min,
                  parts.tm_sec, fraction);
  if (utc_z) return text + "Z";

  const char sign = offset_minutes < 0 ? '-' : '+';
  const int magnitude = std::abs(offset_minutes);
  const std::string_view separator = compact_offset ? "" : ":";
  text += fmt::format("{}{:02}{}{:02}", sign, magnitude / 60, separator,
                      magnitude % 60);
  return text;
}

namespace {

std::string declaration(const Variant& variant) {
  switch (variant.declaration) {
    case XmlDeclaration::plain:
      return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    case XmlDeclaration::blank_lines:
      return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n\n";
    case XmlDeclaration::none:
      break;
  }
  return {};
}

std::string xmlns_attribute(const Variant& variant) {
  if (variant.xml_namespace == XmlNamespace::none) return {};
  return fmt::format(" xmlns=\"{}\"", namespace_uri(variant.xml_namespace));
}

std::string login_time_element(std::int64_t time, LoginTimeForm form) {
  switch (form) {
    case LoginTimeForm::ts_attribute:
      return fmt::format("<logged_in_since ts=\"{}\">{}</logged_in_since>",
                         time, iso_8601(time, 0, false, false));
    case LoginTimeForm::iso_utc:
      return fmt::format("<logged_in_since>{}</logged_in_since>",
                         iso_8601(time, 0, false, true));
    case LoginTimeForm::iso_offset:
      return fmt::format("<logged_in_since>{}</logged_in_since>",
                         iso_8601(time, 120, false, false));
    case LoginTimeForm::iso_offset_compact:
      return fmt::format("<logged_in_since>{}</logged_in_since>",
                         iso_8601(time, -300, true, false));
    case LoginTimeForm::iso_fractional:
      return fmt::format("<logged_in_since>{}</logged_in_since>",
                         iso_8601(time, 0, false, true, ".250"));
    case LoginTimeForm::unix_seconds:
      break;
  }
  return fmt::format("<logged_in_since>{}</logged_in_since>", time);
}

// CDATA cannot contain "]]>", so such text is split over two sections.
std::string cdata(std::string_view text) {
  std::string out = "<![CDATA[";
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.substr(i, 3) == "]]>") {
      out += "]]]]><![CDATA[>";
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out + "]]>";
}

std::string direct_link_element(const SimRep& rep, DirectLinkForm form) {
  // The download link a site builds for a rep; the host is a reserved test
  // name, so nothing ever resolves it.
  const std::string href = fmt::format(
      "https://support.example.test/api/client_script?type=rep&amp;id={}",
      rep.id);
  const std::string label = xml_escape(rep.public_display_name);
  const std::string anchor = fmt::format("<a href=\"{}\">{}</a>", href, label);
  switch (form) {
    case DirectLinkForm::escaped:
      return "<direct_link>" + xml_escape(anchor) + "</direct_link>";
    case DirectLinkForm::cdata:
      return "<direct_link>" + cdata(anchor) + "</direct_link>";
    case DirectLinkForm::element:
      break;
  }
  return "<direct_link>" + anchor + "</direct_link>";
}

std::vector<std::string> rep_children(const SimRep& rep,
                                      const Variant& variant) {
  std::vector<std::string> children;
  const std::string public_name = xml_escape(rep.public_display_name);
  children.push_back("<display_name>" + public_name + "</display_name>");
  if (variant.names != NameForm::display_name_only) {
    children.push_back("<public_display_name>" + public_name +
                       "</public_display_name>");
    if (variant.names == NameForm::all) {
      children.push_back("<private_display_name>" +
                         xml_escape(rep.private_display_name) +
                         "</private_display_name>");
    } else if (variant.names == NameForm::empty_private) {
      children.push_back("<private_display_name></private_display_name>");
    }
  }
  children.push_back("<type>" + xml_escape(rep.type) + "</type>");
  children.push_back(direct_link_element(rep, variant.direct_link));
  children.push_back(
      login_time_element(rep.logged_in_since, variant.login_time));
  children.push_back(fmt::format("<presentation_count>{}</presentation_count>",
                                 rep.presentation_count));
  children.push_back(
      fmt::format("<support_session_count>{}</support_session_count>",
                  rep.support_session_count));
  children.push_back(
      fmt::format("<showing_on_rep_list>{}</showing_on_rep_list>",
                  rep.showing_on_rep_list ? 1 : 0));
  return children;
}

void append_rep(std::string& out, const SimRep& rep, const Variant& variant,
                std::uint64_t seed) {
  auto children = rep_children(rep, variant);
  if (variant.shuffled_elements) {
    // Fisher-Yates with the raw generator, repeatable for (seed, id).
    std::mt19937_64 random(seed ^ (rep.id * 0x9E3779B97F4A7C15ULL));
    for (std::size_t i = children.size() - 1; i > 0; --i) {
      std::swap(children[i], children[random() % (i + 1)]);
    }
  }
  out += fmt::format("<rep id=\"{}\">", rep.id);
  for (const auto& child : children) out += child;
  out += "</rep>\n";
}

}  // namespace

std::string render_action_error(std::string_view message,
                                const Variant& variant) {
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n"
      "<error{}>{}</error>\n\n",
      xmlns_attribute(variant), xml_escape(message));
}

std::string render_unauthorized_xml(const Variant& variant) {
  return render_action_error("Invalid or expired access token", variant);
}

std::string render_malformed_xml(const std::vector<SimRep>& reps,
                                 const Variant& variant, std::uint64_t seed) {
  std::string body = render_logged_in_reps(reps, variant, seed);
  // Drop the closing root tag and end inside a mismatched element.
  body.resize(body.rfind("</logged_in_reps>"));
  body += "<rep id=\"0\"><type>Normal</typ";
  return body;
}

RepeatedBody oversized_xml(const Variant& variant) {
  SimRep rep;
  rep.id = 1;
  rep.public_display_name = "Oversized Body";
  rep.private_display_name = "Oversized Body";
  rep.logged_in_since = 1700000000;
  RepeatedBody body;
  body.head = declaration(variant) + "<logged_in_reps" +
              xmlns_attribute(variant) + ">\n";
  append_rep(body.block, rep, variant, 0);
  body.tail = "</logged_in_reps>\n";
  return body;
}

RepeatedBody oversized_json() {
  return {"{\"access_token\": \"", "0123456789abcdef", "\"}"};
}

}  // namespace detail

std::string render_logged_in_reps(const std::vector<SimRep>& reps,
                                  const Variant& variant, std::uint64_t seed) {
  using detail::xmlns_attribute;
  std::string out = detail::declaration(variant);
  if (variant.api_error == ApiErrorForm::root) {
    return detail::render_action_error(variant.api_error_text, variant);
  }

  out += "<logged_in_reps" + xmlns_attribute(variant) + ">\n";
  if (variant.api_error == ApiErrorForm::child) {
    out +=
        "<error>" + detail::xml_escape(variant.api_error_text) + "</error>\n";
  } else {
    for (const auto& rep : detail::served_reps(reps, variant)) {
      detail::append_rep(out, rep, variant, seed);
    }
  }
  out += "</logged_in_reps>\n";
  return out;
}

}  // namespace beyondtrust_simulator
