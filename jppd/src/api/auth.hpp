// Who is calling: the merchant's API key a request presents (Authorization: Bearer <key>, or token <key> as
// BTCPay clients send it), checked against the store on every request, so a revocation takes effect at once.
#pragma once

#include <jpp/merchant.hpp>

#include <optional>
#include <variant>

#include "api/api_context.hpp"
#include "http/message.hpp"

namespace jppd::api {

// The request's key when it is valid, unrevoked and has `needed`; otherwise the response to send: 401 without a
// key or with an unknown, malformed or revoked one (with WWW-Authenticate), 403 naming the missing permission,
// 503 when the store cannot be read.
std::variant<jpp::ApiKey, http::Response> require_key(const ApiContext& api, const http::Request& request,
                                                      jpp::Permission needed);

// Like require_key, for routes a caller may use without a key: no Authorization header is nullopt, a valid key
// its ApiKey, and a presented key that does not pass is refused all the same.
std::variant<std::optional<jpp::ApiKey>, http::Response> optional_key(const ApiContext& api, const http::Request& request,
                                                                      jpp::Permission needed);

}  // namespace jppd::api
