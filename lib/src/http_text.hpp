#pragma once

#include <string>
#include <string_view>

// Text helpers for HTTP header values, shared by the client and the server.
namespace beyondtrust_exporter::http_text {

// Removes spaces and tabs, HTTP's optional whitespace, from both ends.
std::string_view trim(std::string_view text) noexcept;

// Encodes `input` as padded base64, for Basic credentials.
std::string base64_encode(std::string_view input);

}  // namespace beyondtrust_exporter::http_text
