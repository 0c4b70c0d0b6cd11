#include "html_anchor.hpp"

#include <charconv>
#include <cstdint>
#include <optional>

namespace beyondtrust_exporter {
namespace {

constexpr std::string_view html_whitespace = " \t\r\n\f";

bool is_space(char c) {
  return html_whitespace.find(c) != std::string_view::npos;
}

char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         iequals(text.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view text) {
  std::size_t first = text.find_first_not_of(html_whitespace);
  if (first == std::string_view::npos) return {};
  std::size_t last = text.find_last_not_of(html_whitespace);
  return text.substr(first, last - first + 1);
}

void append_utf8(std::string& out, std::uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

// Decodes the character reference `name` (the text between "&" and ";").
// Returns nullopt for a named reference other than the five of XML, and for
// an invalid code point.
std::optional<std::string> decode_reference(std::string_view name) {
  if (name == "amp") return "&";
  if (name == "lt") return "<";
  if (name == "gt") return ">";
  if (name == "quot") return "\"";
  if (name == "apos") return "'";
  if (name.size() < 2 || name[0] != '#') return std::nullopt;

  int base = 10;
  std::string_view digits = name.substr(1);
  if (digits[0] == 'x' || digits[0] == 'X') {
    base = 16;
    digits = digits.substr(1);
  }
  std::uint32_t code_point = 0;
  auto [end, error] = std::from_chars(
      digits.data(), digits.data() + digits.size(), code_point, base);
  bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
  if (digits.empty() || error != std::errc() ||
      end != digits.data() + digits.size() || code_point == 0 ||
      code_point > 0x10FFFF || surrogate) {
    return std::nullopt;
  }
  std::string decoded;
  append_utf8(decoded, code_point);
  return decoded;
}

// Decodes character references. An "&" that starts no reference that
// decode_reference() reads is kept as written.
std::string decode_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t amp = text.find('&', pos);
    out.append(text.substr(pos, amp - pos));
    if (amp == std::string_view::npos) break;

    std::size_t semicolon = text.find(';', amp + 1);
    std::optional<std::string> decoded;
    if (semicolon != std::string_view::npos && semicolon - amp <= 10) {
      decoded = decode_reference(text.substr(amp + 1, semicolon - amp - 1));
    }
    if (decoded) {
      out += *decoded;
      pos = semicolon + 1;
    } else {
      out += '&';
      pos = amp + 1;
    }
  }
  return out;
}

// Reads the attributes of the tag whose name ends at `pos`, and returns the
// raw value of href, if the tag has one.
std::optional<std::string_view> find_href_attribute(std::string_view html,
                                                    std::size_t pos) {
  while (pos < html.size()) {
    while (pos < html.size() && is_space(html[pos])) ++pos;
    if (pos >= html.size() || html[pos] == '>') return std::nullopt;
    if (html[pos] == '/') {
      ++pos;
      continue;
    }

    // Attribute name, then an optional "=" and value.
    std::size_t name_start = pos;
    while (pos < html.size() && !is_space(html[pos]) && html[pos] != '=' &&
           html[pos] != '>' && html[pos] != '/') {
      ++pos;
    }
    std::string_view name = html.substr(name_start, pos - name_start);
    while (pos < html.size() && is_space(html[pos])) ++pos;
    if (pos >= html.size() || html[pos] != '=') continue;
    ++pos;
    while (pos < html.size() && is_space(html[pos])) ++pos;

    std::string_view value;
    if (pos < html.size() && (html[pos] == '"' || html[pos] == '\'')) {
      char quote = html[pos];
      std::size_t close = html.find(quote, pos + 1);
      if (close == std::string_view::npos) return std::nullopt;
      value = html.substr(pos + 1, close - pos - 1);
      pos = close + 1;
    } else {
      std::size_t value_start = pos;
      while (pos < html.size() && !is_space(html[pos]) && html[pos] != '>') {
        ++pos;
      }
      value = html.substr(value_start, pos - value_start);
    }
    if (iequals(name, "href")) return value;
  }
  return std::nullopt;
}

bool is_plain_url(std::string_view text) {
  if (!istarts_with(text, "http://") && !istarts_with(text, "https://")) {
    return false;
  }
  return text.find_first_of(" \t\r\n\f<>\"'") == std::string_view::npos;
}

}  // namespace

std::string find_anchor_href(std::string_view html) {
  // Each "<a" followed by whitespace starts an anchor tag; the first one with
  // an href wins.
  std::size_t pos = 0;
  while ((pos = html.find('<', pos)) != std::string_view::npos) {
    ++pos;
    if (pos + 1 < html.size() && to_lower(html[pos]) == 'a' &&
        is_space(html[pos + 1])) {
      if (std::optional<std::string_view> href =
              find_href_attribute(html, pos + 1)) {
        return std::string(trim(decode_html(*href)));
      }
    }
  }

  std::string_view text = trim(html);
  if (is_plain_url(text)) return std::string(text);
  return {};
}

}  // namespace beyondtrust_exporter
