// HAProxy's PROXY protocol, versions 1 (text) and 2 (binary): the header a proxy sends at the start of a
// connection, before the client's bytes, naming the client it accepted. jppd reads one only from a trusted proxy
// and only when told to (--proxy-protocol): the specification forbids guessing whether a header is there, since
// a client could then send its own.
#pragma once

#include <asio/ip/address.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace jppd::http {

class ProxyHeaderParser {
public:
    enum class State { need_more, done, failed };

    // Consumes bytes up to the end of the header (or all of them); returns how many it took.
    std::size_t feed(const char* data, std::size_t size);

    State state() const noexcept { return state_; }
    // After `done`: the client's address; empty when the proxy speaks for itself (v1 UNKNOWN, v2 LOCAL) or names
    // something other than TCP over IPv4 or IPv6.
    const std::optional<asio::ip::address>& source() const noexcept { return source_; }
    // After `failed`: why.
    const std::string& error() const noexcept { return error_; }

    static constexpr std::size_t v1_max_bytes = 107;  // "PROXY TCP6 <39> <39> 65535 65535\r\n"

private:
    enum class Version : std::uint8_t { unknown, v1, v2 };
    void fail(std::string why);
    void finish_v1();
    void finish_v2_addresses();

    State state_ = State::need_more;
    Version version_ = Version::unknown;
    std::string head_;              // v1: the line so far; v2: the fixed 16 bytes, then the address block
    std::size_t v2_length_ = 0;     // v2: the bytes after the fixed part
    std::size_t v2_consumed_ = 0;   // of those
    std::optional<asio::ip::address> source_;
    std::string error_;
};

}  // namespace jppd::http
