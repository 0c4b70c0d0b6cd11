#pragma once

#include <string>
#include <string_view>

namespace beyondtrust_exporter {

// Returns the href of the first <a> tag in `html`, with HTML character
// references (&amp;, &#38;, &#x26; and the like) decoded and surrounding
// whitespace removed. Text that contains no tag but is a single http:// or
// https:// URL is returned as it is. Returns "" when neither is found.
std::string find_anchor_href(std::string_view html);

}  // namespace beyondtrust_exporter
