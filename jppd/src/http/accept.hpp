// Content negotiation: which of the media types a resource offers best fits a request's Accept header
// (RFC 9110 section 12.5.1: quality values, then the most specific range, then the server's order).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace jppd::http {

// The index in `offered` (lowercase "type/subtype" strings) of the type to answer with. An absent or empty
// Accept takes the first; nullopt means none is acceptable (406).
std::optional<std::size_t> negotiate(std::string_view accept, const std::vector<std::string_view>& offered);

}  // namespace jppd::http
