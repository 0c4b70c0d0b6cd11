#include "beyondtrust_exporter/exposition.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>

namespace beyondtrust_exporter::exposition {
namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

// Returns the length of the well-formed UTF-8 sequence that starts at
// text[pos], or 0 when there is none. Then `invalid_length` is the length
// of the maximal subpart to replace (Unicode 15, section 3.9, table 3-7).
std::size_t sequence_length(std::string_view text, std::size_t pos,
                            std::size_t& invalid_length) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  std::size_t length = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
  if (lead < 0x80) {
    return 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead == 0xE0) {
    length = 3;
    second_min = 0xA0;
  } else if (lead == 0xED) {
    length = 3;
    second_max = 0x9F;  // U+D800..U+DFFF are surrogates
  } else if (lead >= 0xE1 && lead <= 0xEF) {
    length = 3;
  } else if (lead == 0xF0) {
    length = 4;
    second_min = 0x90;
  } else if (lead >= 0xF1 && lead <= 0xF3) {
    length = 4;
  } else if (lead == 0xF4) {
    length = 4;
    second_max = 0x8F;  // nothing above U+10FFFF
  } else {
    invalid_length = 1;
    return 0;
  }

  for (std::size_t i = 1; i < length; ++i) {
    if (pos + i >= text.size()) {
      invalid_length = i;
      return 0;
    }
    const auto byte = static_cast<unsigned char>(text[pos + i]);
    const unsigned char min = i == 1 ? second_min : 0x80;
    const unsigned char max = i == 1 ? second_max : 0xBF;
    if (byte < min || byte > max) {
      invalid_length = i;
      return 0;
    }
  }
  return length;
}

// Appends `text` with `\` and newline escaped, and `"` too when
// `escape_quote` is set, repairing invalid UTF-8.
void append_escaped(std::string& out, std::string_view text,
                    bool escape_quote) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    // Copy the run of bytes that need no change (valid UTF-8 other than the
    // escaped characters) with one append. Most values are one such run.
    std::size_t run_end = pos;
    std::size_t invalid_length = 0;
    while (run_end < text.size()) {
      const char c = text[run_end];
      if (c == '\\' || c == '\n' || (c == '"' && escape_quote)) {
        break;
      }
      if (static_cast<unsigned char>(c) < 0x80) {
        ++run_end;
        continue;
      }
      const std::size_t length = sequence_length(text, run_end, invalid_length);
      if (length == 0) {
        break;
      }
      run_end += length;
    }
    out.append(text.substr(pos, run_end - pos));
    pos = run_end;
    if (pos == text.size()) {
      break;
    }

    // The byte that ended the run: an escaped character or invalid UTF-8.
    const char c = text[pos];
    if (c == '\\') {
      out.append("\\\\");
      ++pos;
    } else if (c == '\n') {
      out.append("\\n");
      ++pos;
    } else if (c == '"' && escape_quote) {
      out.append("\\\"");
      ++pos;
    } else {
      out.append(replacement_character);
      pos += invalid_length;
    }
  }
}

template <class T>
void append_chars(std::string& out, T value) {
  // 32 characters hold any int64, uint64 or shortest double.
  std::array<char, 32> buffer;
  const auto result =
      std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), result.ptr);
}

}  // namespace

std::string repair_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t invalid_length = 0;
    const std::size_t length = sequence_length(text, pos, invalid_length);
    if (length == 0) {
      out += replacement_character;
      pos += invalid_length;
    } else {
      out.append(text, pos, length);
      pos += length;
    }
  }
  return out;
}

void append_label_value(std::string& out, std::string_view value) {
  append_escaped(out, value, true);
}

void append_help(std::string& out, std::string_view text) {
  append_escaped(out, text, false);
}

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out.append("NaN");
  } else if (std::isinf(value)) {
    out.append(value > 0 ? "+Inf" : "-Inf");
  } else {
    append_chars(out, value);
  }
}

void append_value(std::string& out, std::uint64_t value) {
  append_chars(out, value);
}

void append_value(std::string& out, std::int64_t value) {
  append_chars(out, value);
}

void append_family_header(std::string& out, std::string_view name,
                          std::string_view type, std::string_view help) {
  out.append("# HELP ");
  out.append(name);
  out.push_back(' ');
  append_help(out, help);
  out.append("\n# TYPE ");
  out.append(name);
  out.push_back(' ');
  out.append(type);
  out.push_back('\n');
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  append_label_value(out, value);
  return out;
}

}  // namespace beyondtrust_exporter::exposition
