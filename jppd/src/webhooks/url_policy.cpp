#include "webhooks/url_policy.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>

#include <array>
#include <cstring>
#include <memory>

namespace jppd::webhooks {

namespace {

struct CurlUrlFree {
    void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
};
struct CurlFree {
    void operator()(char* p) const noexcept { curl_free(p); }
};
using CurlText = std::unique_ptr<char, CurlFree>;

CurlText part(CURLU* url, CURLUPart which) {
    char* text = nullptr;
    if (curl_url_get(url, which, &text, 0) != CURLUE_OK) return nullptr;
    return CurlText(text);
}

bool public_v4(std::uint32_t a) noexcept {  // host order
    const auto in = [a](std::uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
    return !(in(0x00000000, 8) ||             // "this network"
             in(0x0a000000, 8) ||             // 10/8
             in(0x64400000, 10) ||            // 100.64/10, carrier-grade NAT
             in(0x7f000000, 8) ||             // loopback
             in(0xa9fe0000, 16) ||            // link-local
             in(0xac100000, 12) ||            // 172.16/12
             in(0xc0000000, 24) ||            // IETF protocol assignments
             in(0xc0000200, 24) ||            // TEST-NET-1
             in(0xc0a80000, 16) ||            // 192.168/16
             in(0xc6120000, 15) ||            // benchmarking
             in(0xc6336400, 24) ||            // TEST-NET-2
             in(0xcb007100, 24) ||            // TEST-NET-3
             in(0xe0000000, 4) ||             // multicast
             in(0xf0000000, 4));              // reserved, broadcast
}

std::uint32_t v4_at(const std::uint8_t* b) noexcept {
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

bool public_v6(const std::uint8_t* b) noexcept {
    static constexpr std::array<std::uint8_t, 12> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static constexpr std::array<std::uint8_t, 12> nat64{0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (std::memcmp(b, mapped.data(), 12) == 0 || std::memcmp(b, nat64.data(), 12) == 0) return public_v4(v4_at(b + 12));
    bool zero_prefix = true;  // ::, ::1 and the deprecated IPv4-compatible forms
    for (int i = 0; i < 12; ++i) zero_prefix = zero_prefix && b[i] == 0;
    if (zero_prefix) return false;
    if ((b[0] & 0xfe) == 0xfc) return false;                // unique local fc00::/7
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return false;  // link-local fe80::/10
    if (b[0] == 0xff) return false;                         // multicast
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return false;  // documentation
    if (b[0] == 0x20 && b[1] == 0x02) return public_v4(v4_at(b + 2));               // 6to4 carries an IPv4
    return true;
}

}  // namespace

bool is_public_address(const sockaddr* address) noexcept {
    if (!address) return false;
    if (address->sa_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
        return public_v4(ntohl(v4->sin_addr.s_addr));
    }
    if (address->sa_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
        return public_v6(v6->sin6_addr.s6_addr);
    }
    return false;
}

jpp::Status check_webhook_url(std::string_view url, bool allow_private) {
    const auto refuse = [](const std::string& why) { return jpp::make_error(jpp::Errc::invalid_argument, "url: " + why); };
    if (url.empty() || url.size() > max_url_bytes)
        return refuse("1 to " + std::to_string(max_url_bytes) + " bytes");
    for (const char c : url)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return refuse("no spaces or control characters");
    std::unique_ptr<CURLU, CurlUrlFree> parsed(curl_url());
    if (!parsed) return refuse("cannot be parsed now");
    if (curl_url_set(parsed.get(), CURLUPART_URL, std::string(url).c_str(), 0) != CURLUE_OK)
        return refuse("not an absolute URL");
    const CurlText scheme = part(parsed.get(), CURLUPART_SCHEME);
    if (!scheme || (std::strcmp(scheme.get(), "https") != 0 && std::strcmp(scheme.get(), "http") != 0))
        return refuse("must be http:// or https://");
    if (part(parsed.get(), CURLUPART_USER) || part(parsed.get(), CURLUPART_PASSWORD))
        return refuse("must not hold a user name or password");
    const CurlText host = part(parsed.get(), CURLUPART_HOST);
    // libcurl reads "https:///x" as the host x: the text itself must name the host.
    const auto authority = url.find("://");
    if (!host || host.get()[0] == '\0' || authority == std::string_view::npos || authority + 3 >= url.size() ||
        url[authority + 3] == '/')
        return refuse("needs a host");
    if (allow_private) return {};

    std::string name(host.get());
    for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    while (!name.empty() && name.back() == '.') name.pop_back();
    if (name == "localhost" || (name.size() > 10 && name.compare(name.size() - 10, 10, ".localhost") == 0))
        return refuse("a private address (start jppd with --webhook-allow-private to allow it)");
    if (name.size() > 2 && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
    sockaddr_in6 v6{};
    sockaddr_in v4{};
    const sockaddr* literal = nullptr;
    if (inet_pton(AF_INET6, name.c_str(), &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        literal = reinterpret_cast<const sockaddr*>(&v6);
    } else if (inet_pton(AF_INET, name.c_str(), &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        literal = reinterpret_cast<const sockaddr*>(&v4);
    }
    if (literal && !is_public_address(literal))
        return refuse("a private address (start jppd with --webhook-allow-private to allow it)");
    return {};
}

}  // namespace jppd::webhooks
