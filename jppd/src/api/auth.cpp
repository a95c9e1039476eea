#include "api/auth.hpp"

#include "log.hpp"

namespace jppd::api {

namespace {

http::Response unauthorized(std::string_view message) {
    return http::json_error(401, "unauthorized", message).with_header("WWW-Authenticate", "Bearer realm=\"jppd\"");
}

// The credential of "Bearer <key>" or "token <key>" (scheme names are case-insensitive); empty if neither.
std::string_view credential(std::string_view authorization) {
    for (std::string_view scheme : {"bearer ", "token "}) {
        if (authorization.size() <= scheme.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < scheme.size() && same; ++i)
            same = static_cast<char>(std::tolower(static_cast<unsigned char>(authorization[i]))) == scheme[i];
        if (!same) continue;
        std::string_view rest = authorization.substr(scheme.size());
        while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
        return rest;
    }
    return {};
}

}  // namespace

std::variant<std::optional<jpp::ApiKey>, http::Response> optional_key(const ApiContext& api, const http::Request& request,
                                                                      jpp::Permission needed) {
    const std::string_view authorization = request.header("authorization");
    if (authorization.empty()) return std::optional<jpp::ApiKey>{};
    const std::string_view text = credential(authorization);
    if (text.empty()) return unauthorized("send the API key as 'Authorization: Bearer <key>'");
    auto presented = jpp::parse_api_key(text);
    if (!presented) return unauthorized("not a valid API key");
    auto stored = api.store.find_api_key(presented->id);
    if (!stored) {
        log_error("API key lookup failed: " + stored.error().message);
        return http::json_error(503, "store_failure", "the server cannot check keys now; try again shortly")
            .with_header("Retry-After", "5");
    }
    // The same answer for an unknown, a wrong and a revoked key: a caller learns nothing about which ids exist.
    if (!stored->has_value() || !jpp::api_key_matches(**stored, *presented))
        return unauthorized("invalid or revoked API key");
    if (((*stored)->permissions & needed) == 0)
        return http::json_error(403, "forbidden",
                                "this key lacks the permission " + std::string(jpp::permission_name(needed)));
    return std::optional<jpp::ApiKey>(std::move(**stored));
}

std::variant<jpp::ApiKey, http::Response> require_key(const ApiContext& api, const http::Request& request,
                                                      jpp::Permission needed) {
    auto key = optional_key(api, request, needed);
    if (auto* refused = std::get_if<http::Response>(&key)) return std::move(*refused);
    auto& found = std::get<std::optional<jpp::ApiKey>>(key);
    if (!found) return unauthorized("an API key is required: 'Authorization: Bearer <key>'");
    return std::move(*found);
}

}  // namespace jppd::api
