// Who a request's client is. Without proxies, the peer. Behind proxies the operator names (--trusted-proxy), the
// client a trusted proxy names: in a PROXY protocol header (proxy_protocol.hpp) or in X-Forwarded-For. A header
// from anyone else is never believed: any client can write one.
#pragma once

#include <asio/ip/address.hpp>

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jppd::http {

struct Request;  // message.hpp

// An IPv4-mapped IPv6 address (how a dual-stack socket shows an IPv4 peer) as the IPv4 address it is.
asio::ip::address unmapped(const asio::ip::address& address);

// One address ("10.0.0.1", "2001:db8::1") or a block of them ("10.0.0.0/8", "2001:db8::/32").
class AddressRange {
public:
    static std::optional<AddressRange> parse(std::string_view text);
    bool contains(const asio::ip::address& address) const;
    std::string to_string() const;

private:
    asio::ip::address network_;
    unsigned prefix_ = 0;
};

class TrustedProxies {
public:
    TrustedProxies() = default;
    explicit TrustedProxies(std::vector<AddressRange> ranges) : ranges_(std::move(ranges)) {}
    bool empty() const noexcept { return ranges_.empty(); }
    bool contains(const asio::ip::address& address) const;

private:
    std::vector<AddressRange> ranges_;
};

// An X-Forwarded-For element as an address: "192.0.2.1", "192.0.2.1:443", "2001:db8::1", "[2001:db8::1]:443".
std::optional<asio::ip::address> parse_forwarded_address(std::string_view element);

// The client of `request`, which arrived from `peer` (a PROXY header's source, if the connection had one). From a
// trusted proxy, X-Forwarded-For (every such header, in order) is read from the right, skipping trusted hops: the
// first untrusted address is the client, or the leftmost when all are trusted. An element that is not an address
// ends the walk at the last good one. From a peer that is not trusted, the peer, whatever the headers say.
asio::ip::address forwarded_client(const asio::ip::address& peer, const Request& request,
                                   const TrustedProxies& trusted);

// What per-client limits count by: an IPv4 address, or an IPv6 address's /64, the block one subscriber usually
// gets (counting single IPv6 addresses would let one host be a billion clients).
struct ClientKey {
    std::array<std::uint8_t, 9> bytes{};  // [0]: 4 or 6, then the address (IPv4: 4 bytes; IPv6: its first 8)
    auto operator<=>(const ClientKey&) const = default;
};
ClientKey client_key(const asio::ip::address& address);

}  // namespace jppd::http
