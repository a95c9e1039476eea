// Who the client is (trusted proxies, X-Forwarded-For, the PROXY protocol), which Host headers are served, and the
// per-client limits.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "http/client_address.hpp"
#include "http/client_limits.hpp"
#include "http/host_check.hpp"
#include "http/proxy_protocol.hpp"

using namespace jppd::http;

namespace {

asio::ip::address ip(const char* text) { return asio::ip::make_address(text); }

Request with_headers(std::vector<std::pair<std::string, std::string>> headers, int minor = 1) {
    Request r;
    r.method = "GET";
    r.target = r.path = "/healthz";
    r.headers = std::move(headers);
    r.http_minor = minor;
    return r;
}

TrustedProxies trusted(std::initializer_list<const char*> ranges) {
    std::vector<AddressRange> out;
    for (const char* r : ranges) out.push_back(*AddressRange::parse(r));
    return TrustedProxies(std::move(out));
}

int host_status(const HostPolicy& policy, const char* host) {
    const auto refused = policy.check(with_headers({{"host", host}}));
    return refused ? refused->status : 200;
}

HostPolicy policy(const char* public_url, const char* listen, std::uint16_t port,
                  std::vector<std::string> allowed = {}) {
    std::string error;
    auto p = HostPolicy::make(public_url, listen, port, allowed, error);
    REQUIRE_MESSAGE(p.has_value(), error);
    return *p;
}

// A PROXY header fed in pieces of `step`.
ProxyHeaderParser proxy_parse(const std::string& bytes, std::size_t step, std::size_t& used) {
    ProxyHeaderParser p;
    used = 0;
    while (used < bytes.size() && p.state() == ProxyHeaderParser::State::need_more) {
        const std::size_t n = std::min(step, bytes.size() - used);
        const std::size_t took = p.feed(bytes.data() + used, n);
        used += took;
        if (took < n) break;
    }
    return p;
}

}  // namespace

TEST_CASE("address ranges") {
    CHECK(AddressRange::parse("10.0.0.0/8")->contains(ip("10.200.3.4")));
    CHECK_FALSE(AddressRange::parse("10.0.0.0/8")->contains(ip("11.0.0.1")));
    CHECK(AddressRange::parse("192.0.2.7")->contains(ip("192.0.2.7")));
    CHECK_FALSE(AddressRange::parse("192.0.2.7")->contains(ip("192.0.2.8")));
    CHECK(AddressRange::parse("192.0.2.7")->contains(ip("::ffff:192.0.2.7")));  // a dual-stack socket's view
    CHECK(AddressRange::parse("2001:db8::/32")->contains(ip("2001:db8:1::5")));
    CHECK_FALSE(AddressRange::parse("2001:db8::/32")->contains(ip("10.0.0.1")));
    CHECK(AddressRange::parse("10.1.2.3/9")->to_string() == "10.0.0.0/9");
    CHECK(AddressRange::parse("0.0.0.0/0")->contains(ip("203.0.113.9")));
    for (const char* bad : {"", "10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "example.com", "::1/129", "10.0.0.1/8x"})
        CHECK_FALSE(AddressRange::parse(bad).has_value());
}

TEST_CASE("X-Forwarded-For: believed from trusted proxies only, read from the right") {
    const auto proxies = trusted({"10.0.0.0/8", "192.0.2.1"});
    const auto client_of = [&](const char* peer, std::vector<std::pair<std::string, std::string>> headers) {
        return forwarded_client(ip(peer), with_headers(std::move(headers)), proxies).to_string();
    };
    // From anyone else, the header is the client's own invention.
    CHECK(client_of("203.0.113.5", {{"x-forwarded-for", "198.51.100.1"}}) == "203.0.113.5");
    // From a trusted proxy: the rightmost address that is not a trusted proxy.
    CHECK(client_of("10.0.0.2", {{"x-forwarded-for", "198.51.100.1"}}) == "198.51.100.1");
    CHECK(client_of("10.0.0.2", {{"x-forwarded-for", "6.6.6.6, 198.51.100.1, 10.9.9.9"}}) == "198.51.100.1");
    CHECK(client_of("10.0.0.2", {{"x-forwarded-for", "6.6.6.6, 198.51.100.1"}, {"x-forwarded-for", "192.0.2.1"}}) ==
          "198.51.100.1");
    // All trusted: the leftmost. None given: the proxy itself.
    CHECK(client_of("10.0.0.2", {{"x-forwarded-for", "10.1.1.1, 10.2.2.2"}}) == "10.1.1.1");
    CHECK(client_of("10.0.0.2", {}) == "10.0.0.2");
    // Ports and brackets as proxies write them; garbage ends the walk at the last good hop.
    CHECK(client_of("10.0.0.2", {{"x-forwarded-for", "198.51.100.1:4711"}}) == "198.51.100.1");
    CHECK(client_of("10.0.0.2", {{"x-forwarded-for", "[2001:db8::7]:4711"}}) == "2001:db8::7");
    CHECK(client_of("10.0.0.2", {{"x-forwarded-for", "2001:db8::7"}}) == "2001:db8::7");
    CHECK(client_of("10.0.0.2", {{"x-forwarded-for", "198.51.100.1, unknown"}}) == "10.0.0.2");
    CHECK(client_of("10.0.0.2", {{"x-forwarded-for", "unknown, 10.3.3.3"}}) == "10.3.3.3");
    // Nothing trusted at all: never read.
    CHECK(forwarded_client(ip("10.0.0.2"), with_headers({{"x-forwarded-for", "1.2.3.4"}}), TrustedProxies{})
              .to_string() == "10.0.0.2");
}

TEST_CASE("client keys: IPv4 addresses, IPv6 /64s") {
    CHECK(client_key(ip("192.0.2.1")) == client_key(ip("::ffff:192.0.2.1")));
    CHECK(client_key(ip("192.0.2.1")) != client_key(ip("192.0.2.2")));
    CHECK(client_key(ip("2001:db8:1:2::1")) == client_key(ip("2001:db8:1:2:ffff::9")));
    CHECK(client_key(ip("2001:db8:1:2::1")) != client_key(ip("2001:db8:1:3::1")));
    CHECK(client_key(ip("127.0.0.1")) != client_key(ip("127.0.0.2")));
}

TEST_CASE("the PROXY protocol, v1 and v2, in any split") {
    const std::string v2_prefix("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12);
    const std::string v2_tcp4 = v2_prefix + std::string("\x21\x11\x00\x0C", 4) +
                                std::string("\xCB\x00\x71\x07" "\x0A\x00\x00\x01" "\x12\x67" "\x1F\x90", 12);
    std::string v2_tcp6 = v2_prefix + std::string("\x21\x21\x00\x2B", 4);  // 36 bytes of addresses, a 7-byte TLV
    v2_tcp6 += std::string("\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05", 16);
    v2_tcp6 += std::string(16, '\x01') + std::string("\x12\x67\x1F\x90", 4) + std::string("\x04\x00\x04" "abcd", 7);
    const std::string v2_local = v2_prefix + std::string("\x20\x00\x00\x00", 4);
    const std::string after = "GET / HTTP/1.1\r\n";
    struct Case {
        std::string bytes;
        const char* source;  // "" for none
    };
    const std::vector<Case> good = {
        {"PROXY TCP4 203.0.113.7 10.0.0.1 4711 8000\r\n", "203.0.113.7"},
        {"PROXY TCP6 2001:db8::5 2001:db8::1 4711 8000\r\n", "2001:db8::5"},
        {"PROXY UNKNOWN\r\n", ""},
        {"PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n", ""},
        {v2_tcp4, "203.0.113.7"},
        {v2_tcp6, "2001:db8::5"},
        {v2_local, ""},
    };
    for (const auto& c : good) {
        for (std::size_t step : {1u, 5u, 100u}) {
            CAPTURE(c.bytes);
            CAPTURE(step);
            std::size_t used = 0;
            const auto p = proxy_parse(c.bytes + after, step, used);
            REQUIRE(p.state() == ProxyHeaderParser::State::done);
            CHECK(used == c.bytes.size());  // the client's bytes are left alone
            CHECK((p.source() ? p.source()->to_string() : std::string()) == c.source);
        }
    }
    const std::vector<std::string> bad = {
        "GET / HTTP/1.1\r\n",                                      // no header where one is due
        "PROXY TCP4 203.0.113.7 10.0.0.1 4711\r\n",                // a word short
        "PROXY TCP4 2001:db8::5 10.0.0.1 4711 8000\r\n",           // the wrong family
        "PROXY TCP4 203.0.113.7 10.0.0.1 4711 80000\r\n",          // a port past 65535
        "PROXY TCP4 203.0.113.7 10.0.0.1 4711 8000\n",             // LF alone
        "PROXY TCP4  203.0.113.7 10.0.0.1 4711 8000\r\n",          // two spaces
        "PROXY TCP4 203.0.113.7 10.0.0.1 4711 8000" + std::string(80, ' ') + "\r\n",  // too long
        v2_prefix + std::string("\x11\x11\x00\x0C", 4) + std::string(12, '\0'),       // version 1 in v2's clothes
        v2_prefix + std::string("\x21\x11\x00\x04", 4) + std::string(4, '\0'),        // addresses cut short
        v2_prefix.substr(0, 6) + "X",
    };
    for (const auto& b : bad) {
        CAPTURE(b);
        std::size_t used = 0;
        CHECK(proxy_parse(b, 3, used).state() == ProxyHeaderParser::State::failed);
    }
}

TEST_CASE("Host: the public URL's host and port, the listen address, loopback names when bound to loopback") {
    const auto local = policy("http://127.0.0.1:8000", "127.0.0.1", 8000);
    CHECK(host_status(local, "127.0.0.1:8000") == 200);
    CHECK(host_status(local, "localhost:8000") == 200);
    CHECK(host_status(local, "LOCALHOST:8000") == 200);
    CHECK(host_status(local, "localhost.:8000") == 200);
    CHECK(host_status(local, "[::1]:8000") == 200);
    CHECK(host_status(local, "127.0.0.2:8000") == 200);
    // A rebinding page names its own site; a port other than the server's is not this server either.
    CHECK(host_status(local, "attacker.example:8000") == 421);
    CHECK(host_status(local, "attacker.example") == 421);
    CHECK(host_status(local, "localhost.attacker.example:8000") == 421);
    CHECK(host_status(local, "127.0.0.1.nip.io:8000") == 421);
    CHECK(host_status(local, "localhost:8001") == 421);
    CHECK(host_status(local, "127.0.0.1") == 421);  // no port: 80
    // Not a host at all.
    CHECK(host_status(local, "") == 400);
    CHECK(host_status(local, "a b") == 400);
    CHECK(host_status(local, "localhost:80000") == 400);
    CHECK(host_status(local, "[::1") == 400);
    CHECK(host_status(local, "[localhost]:8000") == 400);
    CHECK(host_status(local, "user@localhost:8000") == 400);

    const auto public_https = policy("https://Pay.Example.com/", "127.0.0.1", 8000);
    CHECK(host_status(public_https, "pay.example.com") == 200);  // no port: the scheme's
    CHECK(host_status(public_https, "pay.example.com:443") == 200);
    CHECK(host_status(public_https, "PAY.example.COM") == 200);
    CHECK(host_status(public_https, "pay.example.com:8443") == 421);
    CHECK(host_status(public_https, "127.0.0.1:8000") == 200);  // the listen address
    CHECK(host_status(public_https, "localhost:8000") == 200);  // bound to loopback
    CHECK(host_status(public_https, "evil.example.com") == 421);

    const auto public_port = policy("http://pay.example.com:8080", "10.0.0.5", 8000);
    CHECK(host_status(public_port, "pay.example.com:8080") == 200);
    CHECK(host_status(public_port, "pay.example.com") == 421);
    CHECK(host_status(public_port, "10.0.0.5:8000") == 200);
    CHECK(host_status(public_port, "localhost:8000") == 421);  // not bound to loopback
    CHECK(host_status(public_port, "10.0.0.6:8000") == 421);

    const auto on_80 = policy("http://[::1]", "::1", 80);
    CHECK(host_status(on_80, "[::1]") == 200);
    CHECK(host_status(on_80, "[::1]:80") == 200);
    CHECK(host_status(on_80, "localhost") == 200);
    CHECK(host_status(on_80, "[0:0:0:0:0:0:0:1]") == 200);

    // Bound to every address: any address literal (none can be rebound), localhost, other names only as given.
    const auto wildcard = policy("https://pay.example.com", "0.0.0.0", 8000);
    CHECK(host_status(wildcard, "192.0.2.10:8000") == 200);
    CHECK(host_status(wildcard, "[2001:db8::1]:8000") == 200);
    CHECK(host_status(wildcard, "localhost:8000") == 200);
    CHECK(host_status(wildcard, "intranet-name:8000") == 421);
    CHECK(host_status(wildcard, "192.0.2.10:8001") == 421);

    // What an operator adds.
    const auto extra = policy("https://pay.example.com", "127.0.0.1", 8000, {"jppd.internal", "Alias.Example:9000",
                                                                            "[2001:db8::9]:8000"});
    CHECK(host_status(extra, "jppd.internal") == 200);
    CHECK(host_status(extra, "jppd.internal:1234") == 200);  // a name alone: any port
    CHECK(host_status(extra, "alias.example:9000") == 200);
    CHECK(host_status(extra, "alias.example:9001") == 421);
    CHECK(host_status(extra, "[2001:db8::9]:8000") == 200);
    const auto anything = policy("https://pay.example.com", "127.0.0.1", 8000, {"*"});
    CHECK(host_status(anything, "whatever.example") == 200);

    // HTTP/1.0 may leave Host out (it had none); HTTP/1.1 may not.
    CHECK_FALSE(local.check(with_headers({}, 0)).has_value());
    REQUIRE(local.check(with_headers({}, 1)).has_value());
    CHECK(local.check(with_headers({}, 1))->status == 400);
    CHECK(HostPolicy{}.check(with_headers({}, 1))->status == 400);
    CHECK_FALSE(HostPolicy{}.check(with_headers({{"host", "anything"}})).has_value());

    std::string error;
    CHECK_FALSE(HostPolicy::make("ftp://x", "127.0.0.1", 1, {}, error).has_value());
    CHECK_FALSE(HostPolicy::make("https://", "127.0.0.1", 1, {}, error).has_value());
    CHECK_FALSE(HostPolicy::make("https://user@x/", "127.0.0.1", 1, {}, error).has_value());
    CHECK_FALSE(HostPolicy::make("https://x", "127.0.0.1", 1, {"a b"}, error).has_value());
}

TEST_CASE("per-client connections and request rate") {
    ClientTable table({2, 10, 3});
    {
        auto a1 = table.open_connection(ip("192.0.2.1"));
        auto a2 = table.open_connection(ip("192.0.2.1"));
        REQUIRE(a1);
        REQUIRE(a2);
        CHECK_FALSE(table.open_connection(ip("192.0.2.1")));
        CHECK_FALSE(table.open_connection(ip("::ffff:192.0.2.1")));
        CHECK(table.open_connection(ip("192.0.2.2")));  // another client is not affected
        a1->reset();
        CHECK(table.open_connection(ip("192.0.2.1")));
    }
    CHECK(table.tracked_clients() == 0);  // nothing held, buckets full: forgotten

    const auto t0 = ClientTable::Clock::now();
    std::chrono::seconds retry{};
    for (int i = 0; i < 3; ++i) CHECK(table.admit_request(ip("192.0.2.1"), t0, retry));  // the burst
    CHECK_FALSE(table.admit_request(ip("192.0.2.1"), t0, retry));
    CHECK(retry == std::chrono::seconds(1));
    CHECK(table.admit_request(ip("192.0.2.9"), t0, retry));  // others keep theirs
    CHECK(table.admit_request(ip("192.0.2.1"), t0 + std::chrono::milliseconds(110), retry));  // 10/s refills
    CHECK_FALSE(table.admit_request(ip("192.0.2.1"), t0 + std::chrono::milliseconds(120), retry));

    ClientTable slow({0, 0.1, 1});
    CHECK(slow.admit_request(ip("192.0.2.1"), t0, retry));
    CHECK_FALSE(slow.admit_request(ip("192.0.2.1"), t0, retry));
    CHECK(retry == std::chrono::seconds(10));

    ClientTable unlimited({0, 0, 1});
    for (int i = 0; i < 1000; ++i) CHECK(unlimited.admit_request(ip("192.0.2.1"), t0, retry));
    CHECK(unlimited.open_connection(ip("192.0.2.1")));
    CHECK(unlimited.tracked_clients() == 0);
}

TEST_CASE("the client table forgets idle clients as it grows") {
    ClientTable table({0, 1000, 1});
    const auto t0 = ClientTable::Clock::now();
    std::chrono::seconds retry{};
    for (unsigned i = 0; i < 20000; ++i) {
        const asio::ip::address_v4 a(0x0A000000u + i);
        table.admit_request(a, t0 + std::chrono::milliseconds(i), retry);
    }
    // Each bucket refills in a millisecond: most of the 20,000 clients are idle and swept.
    CHECK(table.tracked_clients() < 20000 / 4);
}
