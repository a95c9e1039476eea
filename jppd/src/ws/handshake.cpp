#include "ws/handshake.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cctype>

namespace jppd::ws {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// Whether a comma-separated header value ("keep-alive, Upgrade") holds the token, in any case.
bool has_token(std::string_view value, std::string_view token) {
    while (!value.empty()) {
        const auto comma = value.find(',');
        std::string_view item = value.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (iequals(item, token)) return true;
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return false;
}

// A key is 16 random bytes in base64: 22 characters, the last carrying only 2 bits, then "==".
bool valid_key(std::string_view key) {
    static constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (key.size() != 24 || key.substr(22) != "==") return false;
    for (std::size_t i = 0; i < 22; ++i)
        if (alphabet.find(key[i]) == std::string_view::npos) return false;
    return std::string_view("AQgw").find(key[21]) != std::string_view::npos;
}

http::Response upgrade_required(std::string_view message) {
    http::Response r = http::json_error(426, "websocket_upgrade_required", message);
    r.with_header("Upgrade", "websocket");
    r.with_header("Sec-WebSocket-Version", "13");
    return r;
}

}  // namespace

std::optional<http::Response> check_handshake(const http::Request& request) {
    if (!has_token(request.header("upgrade"), "websocket") || !has_token(request.header("connection"), "upgrade"))
        return upgrade_required("this is a WebSocket endpoint: connect with a WebSocket client "
                                "(Upgrade: websocket, Connection: Upgrade)");
    if (request.header("sec-websocket-version") != "13")
        return upgrade_required("only WebSocket version 13 (RFC 6455) is spoken");
    if (request.header("host").empty())
        return http::json_error(400, "bad_websocket_handshake", "the Host header is missing");
    if (!valid_key(request.header("sec-websocket-key")))
        return http::json_error(400, "bad_websocket_handshake",
                                "Sec-WebSocket-Key must be 16 bytes in base64 (24 characters)");
    return std::nullopt;
}

http::Response accept_handshake(const http::Request& request) {
    http::Response r;
    r.status = 101;
    r.with_header("Upgrade", "websocket");
    r.with_header("Connection", "Upgrade");
    r.with_header("Sec-WebSocket-Accept", accept_key(request.header("sec-websocket-key")));
    return r;
}

std::string accept_key(std::string_view client_key) {
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string input(client_key);
    input += guid;
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
    unsigned char encoded[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
    const int n = EVP_EncodeBlock(encoded, digest, SHA_DIGEST_LENGTH);
    return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(n));
}

}  // namespace jppd::ws
