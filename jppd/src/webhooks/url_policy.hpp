// Where jppd may send webhooks: http(s) URLs, and, unless the operator allows it, only to public addresses. A
// merchant must not be able to make jppd POST into the operator's own network (the node's RPC port, a metadata
// service, an admin page), so the address is checked twice: the URL when it is registered, and every address the
// name resolves to when a delivery connects (a name may resolve elsewhere later).
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>

#include <jpp/error.hpp>

namespace jppd::webhooks {

inline constexpr std::size_t max_url_bytes = 2048;

// An absolute http:// or https:// URL with a host, no user name or password, at most max_url_bytes; with
// `allow_private` false, a host that is an address (or "localhost") must be a public one. invalid_argument with
// a message naming what is wrong otherwise.
jpp::Status check_webhook_url(std::string_view url, bool allow_private);

// Whether an address may receive webhooks when private ones are not allowed: false for loopback, private (RFC 1918,
// unique local), link-local, carrier-grade NAT, multicast, unspecified, reserved and documentation ranges, and for
// IPv6 forms that carry such an IPv4 address.
bool is_public_address(const sockaddr* address) noexcept;

}  // namespace jppd::webhooks
