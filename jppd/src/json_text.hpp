// JSON written by hand, for the few bodies and log lines that do without a JSON library.
#pragma once

#include <string>
#include <string_view>

namespace jppd {

// The JSON string literal of `text`, quotes included: '"' and '\' escaped, control characters as \u00XX. Other
// bytes pass through, so UTF-8 stays UTF-8.
std::string json_quote(std::string_view text);

}  // namespace jppd
