// Which Host headers the server answers: the defence against DNS rebinding.
//
// The attack: a web page on the attacker's site (attacker.example) makes its own name resolve to the address jppd
// listens on (127.0.0.1, or an address on the victim's network), then scripts requests to "its own" origin, which
// the browser sends to jppd. Everything about such a request looks local except Host, which still names the
// attacker's site: the browser sends the name it resolved. So only Host values the operator vouches for are served:
//
//   - the public URL's host, with its port (a port left out of the URL is the scheme's default);
//   - the address jppd listens on, with the port it is bound to; any IP address when bound to a wildcard (0.0.0.0,
//     ::), since an address literal cannot be rebound: a page at http://192.0.2.1/ is that machine's own;
//   - when bound to loopback or a wildcard: also "localhost" and any loopback address (127.0.0.0/8, [::1]), with
//     the bound port (no attacker's DNS answers for "localhost");
//   - whatever --allowed-host adds: "name" (any port), "name:port", "[v6]", "[v6]:port", or "*" (anything: the
//     defence off).
//
// A Host without a port stands for 80 or 443 (the port of http or https). Names compare without case and without a
// trailing dot. HTTP/1.0 requests may come without Host (no browser sends one without); HTTP/1.1 ones must have
// one (400 otherwise, configured or not). Refused requests get 421 (Misdirected Request) with code
// host_not_allowed, or 400 when Host is not a well-formed host at all.
#pragma once

#include <asio/ip/address.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace jppd::http {

// "host", "host:port", "[v6]" or "[v6]:port" as a host (lowercased, brackets removed) and a port (none when absent
// or empty, as RFC 3986 allows). False when it is none of those (characters outside RFC 3986's reg-name, a bad
// port, unbalanced brackets).
bool split_host_port(std::string_view text, std::string& host, std::optional<std::uint16_t>& port);

class HostPolicy {
public:
    HostPolicy() = default;  // allows any Host (a server not told otherwise); the daemon always builds one

    // From the public URL (http:// or https://), the listen address and the port bound, and --allowed-host values.
    // Empty (with `error` set) when the URL or an allowed host is malformed.
    static std::optional<HostPolicy> make(std::string_view public_url, std::string_view listen_host,
                                          std::uint16_t bound_port, const std::vector<std::string>& allowed,
                                          std::string& error);

    // Empty when the request may be served; otherwise the answer (421 or 400).
    std::optional<Response> check(const Request& request) const;
    bool allows(std::string_view host_header) const;

    // What is allowed, for the start-up log: "pay.example.com:443, 127.0.0.1:8000, localhost:8000".
    std::string describe() const;

private:
    enum class Kind : std::uint8_t { name, address, any_address, loopback, anything };
    struct Rule {
        Kind kind;
        std::string name;             // Kind::name
        asio::ip::address address;    // Kind::address
        std::optional<std::uint16_t> port;  // none: any port
    };
    bool matches(const Rule& rule, const std::string& host, const std::optional<asio::ip::address>& address,
                 const std::optional<std::uint16_t>& port) const;

    bool configured_ = false;
    std::vector<Rule> rules_;
};

}  // namespace jppd::http
