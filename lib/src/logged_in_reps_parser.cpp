#include "beyondtrust_exporter/logged_in_reps_parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "html_anchor.hpp"
#include "timestamp.hpp"

namespace beyondtrust_exporter {
namespace {

// Maximum warnings kept per response. The rest are only counted, so a site
// that sends thousands of broken reps cannot flood the log.
constexpr std::size_t max_warnings = 100;

// Maximum bytes of a site-sent value that a message quotes.
constexpr std::size_t max_quoted_bytes = 64;

// Maximum bytes of vendor text that an api_error message carries.
constexpr std::size_t max_error_text_bytes = 1024;

constexpr std::string_view xml_whitespace = " \t\r\n";
constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

bool is_xml_whitespace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_xml_whitespace(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_xml_whitespace(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

// Cuts `text` to at most `max_bytes` without splitting a UTF-8 sequence,
// and marks the cut with "...".
std::string truncate_utf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return std::string(text.substr(0, end)) + "...";
}

// Quotes a site-sent value for a message: control characters escaped, long
// values cut.
std::string quote(std::string_view value) {
  std::string cut = truncate_utf8(value, max_quoted_bytes);
  std::string out = "\"";
  for (char c : cut) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (byte < 0x20 || byte == 0x7F) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

// Returns the part of a qualified name after its prefix, in one pass over
// the name because the parser calls this for every element.
std::string_view local_name(const char* name) {
  const char* start = name;
  const char* end = name;
  for (; *end != '\0'; ++end) {
    if (*end == ':') start = end + 1;
  }
  return {start, static_cast<std::size_t>(end - start)};
}

bool is_element(pugi::xml_node node, std::string_view name) {
  return node.type() == pugi::node_element && local_name(node.name()) == name;
}

// Finds an attribute by local name. Namespace declarations never match.
pugi::xml_attribute find_attribute(pugi::xml_node node, std::string_view name) {
  for (pugi::xml_attribute attribute : node.attributes()) {
    std::string_view full(attribute.name());
    if (full == "xmlns" || full.starts_with("xmlns:")) continue;
    if (local_name(attribute.name()) == name) return attribute;
  }
  return {};
}

bool is_text(pugi::xml_node node) {
  pugi::xml_node_type type = node.type();
  return type == pugi::node_pcdata || type == pugi::node_cdata;
}

// Returns the text and CDATA children of `node`, joined. The view points
// into the document when the only child is text, else into `scratch`.
std::string_view text_of(pugi::xml_node node, std::string& scratch) {
  pugi::xml_node first = node.first_child();
  if (!first) return {};
  if (!first.next_sibling() && is_text(first)) return first.value();

  scratch.clear();
  for (pugi::xml_node child = first; child; child = child.next_sibling()) {
    if (is_text(child)) scratch += child.value();
  }
  return scratch;
}

// Returns the text of `node` and all its descendants, in document order.
// Walks the tree with a loop, so deep nesting cannot exhaust the stack.
std::string deep_text_of(pugi::xml_node root) {
  std::string text;
  pugi::xml_node node = root.first_child();
  while (node && node != root) {
    if (is_text(node)) text += node.value();
    if (node.first_child()) {
      node = node.first_child();
      continue;
    }
    while (node != root && !node.next_sibling()) node = node.parent();
    if (node != root) node = node.next_sibling();
  }
  return text;
}

// Finds the first element named `name` below `root`, in document order.
pugi::xml_node find_descendant(pugi::xml_node root, std::string_view name) {
  pugi::xml_node node = root.first_child();
  while (node && node != root) {
    if (is_element(node, name)) return node;
    if (node.first_child()) {
      node = node.first_child();
      continue;
    }
    while (node != root && !node.next_sibling()) node = node.parent();
    if (node != root) node = node.next_sibling();
  }
  return {};
}

// Returns "line L, column C" for a byte offset into `body`. Both count from
// 1, columns count bytes, and a leading byte order mark is not counted.
std::string describe_position(std::string_view body, std::ptrdiff_t offset) {
  if (offset < 0) return "an unknown position";
  auto end = std::min(static_cast<std::size_t>(offset), body.size());
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < end; ++i) {
    if (body[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  std::size_t column = end - line_start + 1;
  if (line == 1 && body.starts_with(utf8_bom) && column > utf8_bom.size()) {
    column -= utf8_bom.size();
  }
  return fmt::format("line {}, column {}", line, column);
}

// Returns the position of the "<" that opens `element`, because pugixml
// records the offset of its name.
std::string describe_element_position(std::string_view body,
                                      pugi::xml_node element) {
  std::ptrdiff_t offset = element.offset_debug();
  return describe_position(body, offset > 0 ? offset - 1 : offset);
}

// Returns the position of the first non-whitespace character of `text`.
std::string describe_text_position(std::string_view body, pugi::xml_node text) {
  std::ptrdiff_t offset = text.offset_debug();
  std::size_t skipped =
      std::string_view(text.value()).find_first_not_of(xml_whitespace);
  if (offset >= 0 && skipped != std::string_view::npos) {
    offset += static_cast<std::ptrdiff_t>(skipped);
  }
  return describe_position(body, offset);
}

PollError parse_error(std::string message) {
  return PollError{PollErrorReason::parse, std::move(message)};
}

// Builds the error for a body that pugixml rejected. Input that stops
// inside a tag or before every element is closed is reported as truncated,
// because that is how a cut connection looks.
PollError malformed_xml_error(std::string_view body,
                              const pugi::xml_parse_result& result) {
  std::string where = describe_position(body, result.offset);
  std::string_view rest = body.substr(
      std::min(static_cast<std::size_t>(result.offset), body.size()));
  if (rest.find('>') == std::string_view::npos) {
    return parse_error(fmt::format(
        "truncated XML: the body ends at {} before every element is closed "
        "({})",
        describe_position(body, static_cast<std::ptrdiff_t>(body.size())),
        result.description()));
  }
  return parse_error(
      fmt::format("invalid XML at {}: {}", where, result.description()));
}

// Returns the start of a body that is not XML, for a message that helps to
// recognise an HTML page or a JSON error.
std::string describe_body_start(std::string_view body) {
  std::string_view start = trim(body);
  if (start.starts_with(utf8_bom)) start = trim(start.substr(utf8_bom.size()));
  if (start.empty()) return "the body contains only whitespace";
  return "the body starts with " + quote(start);
}

// Checks what sits beside the root element, and returns the root element.
PollResult<pugi::xml_node> find_root(const pugi::xml_document& document,
                                     std::string_view body) {
  pugi::xml_node root;
  for (pugi::xml_node child : document.children()) {
    if (child.type() == pugi::node_element) {
      if (root) {
        return parse_error(
            fmt::format("invalid XML: a second root element <{}> at {}",
                        truncate_utf8(child.name(), max_quoted_bytes),
                        describe_element_position(body, child)));
      }
      root = child;
    } else if (is_text(child) && !trim(child.value()).empty()) {
      if (!root) break;
      return parse_error(
          fmt::format("invalid XML: text after the root element at {}",
                      describe_text_position(body, child)));
    }
  }
  if (!root) {
    return parse_error(fmt::format("not XML: no root element found; {}",
                                   describe_body_start(body)));
  }
  return root;
}

PollError api_error(pugi::xml_node error) {
  std::string text = deep_text_of(error);
  std::string_view trimmed = trim(text);
  if (trimmed.empty()) {
    return PollError{PollErrorReason::api_error,
                     "the site returned an <error> element without text"};
  }
  return PollError{PollErrorReason::api_error,
                   "the site returned an error: " +
                       truncate_utf8(trimmed, max_error_text_bytes)};
}

// Collects the warnings of one response, keeping the first max_warnings.
class WarningList {
 public:
  explicit WarningList(std::vector<std::string>& out) : out_(out) {}

  void add(std::string warning) {
    if (out_.size() < max_warnings) {
      out_.push_back(std::move(warning));
    } else {
      ++dropped_;
    }
  }

  // Appends a line that counts the warnings left out.
  void finish() {
    if (dropped_ > 0) {
      out_.push_back(fmt::format("{} more warnings left out", dropped_));
    }
  }

 private:
  std::vector<std::string>& out_;
  std::size_t dropped_ = 0;
};

// Reads the child elements of one <rep> into a Rep whose id is already set.
// Only the first of repeated elements counts.
class RepReader {
 public:
  RepReader(Rep& rep, WarningList& warnings) : rep_(rep), warnings_(warnings) {}

  void read(pugi::xml_node element) {
    std::string_view name = local_name(element.name());
    if (name == "display_name") {
      read_once(display_name_seen_, [&] {
        display_name_ = std::string(text_of(element, scratch_));
      });
    } else if (name == "public_display_name") {
      read_once(public_display_name_seen_, [&] {
        rep_.public_display_name = std::string(text_of(element, scratch_));
      });
    } else if (name == "private_display_name") {
      read_once(private_display_name_seen_, [&] {
        rep_.private_display_name = std::string(text_of(element, scratch_));
      });
    } else if (name == "type") {
      read_once(type_seen_,
                [&] { rep_.type = std::string(text_of(element, scratch_)); });
    } else if (name == "direct_link") {
      read_once(direct_link_seen_, [&] { read_direct_link(element); });
    } else if (name == "logged_in_since") {
      read_once(logged_in_since_seen_, [&] { read_logged_in_since(element); });
    } else if (name == "presentation_count") {
      read_once(presentation_count_seen_,
                [&] { rep_.presentation_count = read_count(element); });
    } else if (name == "support_session_count") {
      read_once(support_session_count_seen_,
                [&] { rep_.support_session_count = read_count(element); });
    } else if (name == "showing_on_rep_list") {
      read_once(showing_on_rep_list_seen_, [&] { read_showing(element); });
    }
  }

  // Fills in what depends on more than one element. display_name equals
  // public_display_name by the API's definition, so it is used when
  // public_display_name is missing or empty.
  void finish() {
    if (rep_.public_display_name.empty()) {
      rep_.public_display_name = std::move(display_name_);
    }
  }

 private:
  template <class Read>
  static void read_once(bool& seen, Read read) {
    if (seen) return;
    seen = true;
    read();
  }

  void warn(std::string_view element, std::string_view problem) {
    warnings_.add(fmt::format("rep id={}: <{}> {}; the value is left empty",
                              quote(rep_.id), element, problem));
  }

  // The anchor can arrive as an escaped string, as CDATA or as a child
  // element, because the API does not document its encoding.
  void read_direct_link(pugi::xml_node element) {
    if (pugi::xml_node anchor = find_descendant(element, "a")) {
      pugi::xml_attribute href = find_attribute(anchor, "href");
      rep_.direct_link_url = std::string(trim(href.value()));
      return;
    }
    rep_.direct_link_url = find_anchor_href(text_of(element, scratch_));
  }

  // Prefers the ts attribute (UNIX seconds) to the text, because the date
  // elements of other calls of this API document such an attribute.
  void read_logged_in_since(pugi::xml_node element) {
    if (pugi::xml_attribute ts = find_attribute(element, "ts")) {
      if (auto seconds = parse_unix_seconds(ts.value())) {
        rep_.logged_in_since_seconds = seconds;
        return;
      }
      warnings_.add(fmt::format(
          "rep id={}: <logged_in_since> attribute ts={} is not a count of "
          "UNIX seconds; the text is used instead",
          quote(rep_.id), quote(ts.value())));
    }
    std::string_view text = text_of(element, scratch_);
    rep_.logged_in_since_seconds = parse_timestamp_seconds(text);
    if (!rep_.logged_in_since_seconds) {
      warn("logged_in_since",
           fmt::format("{} is neither UNIX seconds nor an ISO 8601 date and "
                       "time with a zone",
                       quote(text)));
    }
  }

  std::optional<std::uint64_t> read_count(pugi::xml_node element) {
    std::string_view name = local_name(element.name());
    std::string_view raw = text_of(element, scratch_);
    std::string_view text = trim(raw);
    if (text.empty()) {
      warn(name, "is empty");
      return std::nullopt;
    }
    if (text.find_first_not_of("0123456789") != std::string_view::npos) {
      warn(name, fmt::format("{} is not a non-negative integer", quote(raw)));
      return std::nullopt;
    }
    std::uint64_t value = 0;
    auto [end, error] =
        std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
      warn(name, fmt::format("{} is larger than {}", quote(raw),
                             std::numeric_limits<std::uint64_t>::max()));
      return std::nullopt;
    }
    return value;
  }

  void read_showing(pugi::xml_node element) {
    std::string_view raw = text_of(element, scratch_);
    std::string_view text = trim(raw);
    if (text == "1" || text == "true") {
      rep_.showing_on_rep_list = true;
    } else if (text == "0" || text == "false") {
      rep_.showing_on_rep_list = false;
    } else {
      warn("showing_on_rep_list",
           fmt::format("{} is not 1, 0, true or false", quote(raw)));
    }
  }

  Rep& rep_;
  WarningList& warnings_;
  std::string display_name_;
  std::string scratch_;
  bool display_name_seen_ = false;
  bool public_display_name_seen_ = false;
  bool private_display_name_seen_ = false;
  bool type_seen_ = false;
  bool direct_link_seen_ = false;
  bool logged_in_since_seen_ = false;
  bool presentation_count_seen_ = false;
  bool support_session_count_seen_ = false;
  bool showing_on_rep_list_seen_ = false;
};

PollResult<LoggedInReps> read_logged_in_reps(pugi::xml_node root) {
  // An <error> child means the call failed, whatever else came with it.
  std::size_t rep_count = 0;
  for (pugi::xml_node child : root.children()) {
    if (is_element(child, "error")) return api_error(child);
    if (is_element(child, "rep")) ++rep_count;
  }

  LoggedInReps answer;
  answer.reps.reserve(rep_count);
  WarningList warnings(answer.warnings);
  // Views into the document, which outlives the set.
  std::unordered_set<std::string_view> ids;
  ids.reserve(rep_count);

  std::size_t position = 0;
  for (pugi::xml_node element : root.children()) {
    if (!is_element(element, "rep")) continue;
    ++position;

    std::string_view id = trim(find_attribute(element, "id").value());
    if (id.empty()) {
      warnings.add(fmt::format(
          "rep #{} has no id attribute, or an empty one; the rep is skipped",
          position));
      continue;
    }
    if (!ids.insert(id).second) {
      warnings.add(fmt::format(
          "rep #{} repeats id={} of an earlier rep; the rep is skipped",
          position, quote(id)));
      continue;
    }

    Rep& rep = answer.reps.emplace_back();
    rep.id = std::string(id);
    RepReader reader(rep, warnings);
    for (pugi::xml_node child : element.children()) {
      if (child.type() == pugi::node_element) reader.read(child);
    }
    reader.finish();
  }
  warnings.finish();
  return answer;
}

}  // namespace

PollResult<LoggedInReps> parse_logged_in_reps(std::string_view body) {
  if (body.empty()) return parse_error("empty body");

  // parse_fragment keeps text beside the root element, so that find_root
  // can reject it. DOCTYPE is skipped and its entities are never expanded.
  pugi::xml_document document;
  pugi::xml_parse_result result = document.load_buffer(
      body.data(), body.size(), pugi::parse_default | pugi::parse_fragment,
      pugi::encoding_utf8);
  if (result.status == pugi::status_out_of_memory) {
    return parse_error("out of memory while parsing the XML body");
  }
  if (!result) return malformed_xml_error(body, result);

  PollResult<pugi::xml_node> root = find_root(document, body);
  if (!root) return root.error();

  std::string_view name = local_name(root->name());
  if (name == "error") return api_error(*root);
  if (name != "logged_in_reps") {
    return parse_error(
        fmt::format("unexpected root element <{}> at {}; expected "
                    "<logged_in_reps> or <error>",
                    truncate_utf8(root->name(), max_quoted_bytes),
                    describe_element_position(body, *root)));
  }
  return read_logged_in_reps(*root);
}

}  // namespace beyondtrust_exporter
