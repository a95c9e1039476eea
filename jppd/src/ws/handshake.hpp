// The server side of the WebSocket opening handshake (RFC 6455 section 4.2).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace jppd::ws {

// Empty when the request is a valid WebSocket upgrade; otherwise the answer: 426 (with the version we speak)
// for a plain GET or another protocol version, 400 for a malformed handshake.
std::optional<http::Response> check_handshake(const http::Request& request);

// The 101 response that completes a checked handshake; the caller sets its `upgrade`.
http::Response accept_handshake(const http::Request& request);

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key + the RFC's GUID)).
std::string accept_key(std::string_view client_key);

}  // namespace jppd::ws
