#include "api/openapi.hpp"

#include <jpp/bytes.hpp>
#include <jpp/hash.hpp>

#include <string>

namespace jppd::api {

namespace {

const std::string& etag() {
    static const std::string tag = [] {
        const std::string_view text = openapi_document();
        const jpp::Hash256 digest =
            jpp::sha256(jpp::ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
        return "\"" + jpp::to_hex(jpp::ByteView(digest.data(), 16)) + "\"";
    }();
    return tag;
}

// Whether If-None-Match (a list of entity tags, weak ones included, or "*") names the document's tag.
bool matches(std::string_view if_none_match, std::string_view tag) {
    while (!if_none_match.empty()) {
        const auto comma = if_none_match.find(',');
        std::string_view item = if_none_match.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (item.starts_with("W/")) item.remove_prefix(2);
        if (item == "*" || item == tag) return true;
        if (comma == std::string_view::npos) break;
        if_none_match.remove_prefix(comma + 1);
    }
    return false;
}

}  // namespace

http::Response openapi(const http::Request& request) {
    http::Response r;
    r.with_header("ETag", etag());
    // The document changes only with the binary: an hour's caching, then a revalidation that costs a 304.
    r.with_header("Cache-Control", "public, max-age=3600");
    if (matches(request.header("if-none-match"), etag())) {
        r.status = 304;
        return r;
    }
    r.status = 200;
    r.content_type = "application/json";
    r.body = std::string(openapi_document());
    return r;
}

}  // namespace jppd::api
