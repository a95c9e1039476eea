#include "http/client_address.hpp"

#include <charconv>

#include "http/message.hpp"

namespace jppd::http {

asio::ip::address unmapped(const asio::ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    return address;
}

namespace {

std::optional<asio::ip::address> parse_address(std::string_view text) {
    if (text.empty() || text.size() > 64) return std::nullopt;
    asio::error_code ec;
    const auto address = asio::ip::make_address(std::string(text), ec);
    if (ec) return std::nullopt;
    if (address.is_v6() && address.to_v6().scope_id() != 0) return std::nullopt;  // no zones
    return unmapped(address);
}

std::array<std::uint8_t, 16> bytes_of(const asio::ip::address& a) {
    std::array<std::uint8_t, 16> out{};
    if (a.is_v4()) {
        const auto b = a.to_v4().to_bytes();
        std::copy(b.begin(), b.end(), out.begin());
    } else {
        out = a.to_v6().to_bytes();
    }
    return out;
}

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<AddressRange> AddressRange::parse(std::string_view text) {
    const auto slash = text.find('/');
    const auto address = parse_address(text.substr(0, slash));
    if (!address) return std::nullopt;
    const unsigned bits = address->is_v4() ? 32 : 128;
    unsigned prefix = bits;
    if (slash != std::string_view::npos) {
        const std::string_view digits = text.substr(slash + 1);
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || prefix > bits)
            return std::nullopt;
    }
    AddressRange range;
    range.prefix_ = prefix;
    // The network itself: the bits past the prefix cleared.
    auto bytes = bytes_of(*address);
    for (unsigned i = 0; i < bits / 8; ++i) {
        const unsigned first = i * 8;
        if (first >= prefix) bytes[i] = 0;
        else if (prefix - first < 8) bytes[i] &= static_cast<std::uint8_t>(0xFF << (8 - (prefix - first)));
    }
    if (address->is_v4()) range.network_ = asio::ip::address_v4({bytes[0], bytes[1], bytes[2], bytes[3]});
    else range.network_ = asio::ip::address_v6(bytes);
    return range;
}

bool AddressRange::contains(const asio::ip::address& candidate) const {
    const auto address = unmapped(candidate);
    if (address.is_v4() != network_.is_v4()) return false;
    const auto a = bytes_of(address);
    const auto n = bytes_of(network_);
    unsigned bits = prefix_;
    for (std::size_t i = 0; bits > 0; ++i) {
        const unsigned take = bits >= 8 ? 8 : bits;
        const auto mask = static_cast<std::uint8_t>(0xFF << (8 - take));
        if ((a[i] & mask) != (n[i] & mask)) return false;
        bits -= take;
    }
    return true;
}

std::string AddressRange::to_string() const {
    return network_.to_string() + "/" + std::to_string(prefix_);
}

bool TrustedProxies::contains(const asio::ip::address& address) const {
    for (const auto& range : ranges_)
        if (range.contains(address)) return true;
    return false;
}

std::optional<asio::ip::address> parse_forwarded_address(std::string_view element) {
    element = trimmed(element);
    if (!element.empty() && element.front() == '[') {  // [v6] or [v6]:port
        const auto close = element.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        return parse_address(element.substr(1, close - 1));
    }
    if (auto address = parse_address(element)) return address;
    // v4:port (a bare v6 address has more than one colon and was taken above)
    const auto colon = element.find(':');
    if (colon == std::string_view::npos || element.find(':', colon + 1) != std::string_view::npos) return std::nullopt;
    const auto address = parse_address(element.substr(0, colon));
    if (!address || !address->is_v4()) return std::nullopt;
    return address;
}

asio::ip::address forwarded_client(const asio::ip::address& peer, const Request& request,
                                   const TrustedProxies& trusted) {
    asio::ip::address client = unmapped(peer);
    if (trusted.empty() || !trusted.contains(client)) return client;
    // Every X-Forwarded-For line, in order, as one list; walked from its right end.
    std::vector<std::string_view> hops;
    for (const auto& [name, value] : request.headers) {
        if (name != "x-forwarded-for") continue;
        std::string_view rest = value;
        while (true) {
            const auto comma = rest.find(',');
            hops.push_back(rest.substr(0, comma));
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
        const auto address = parse_forwarded_address(*hop);
        if (!address) break;
        client = *address;
        if (!trusted.contains(client)) break;
    }
    return client;
}

ClientKey client_key(const asio::ip::address& candidate) {
    const auto address = unmapped(candidate);
    ClientKey key;
    const auto bytes = bytes_of(address);
    key.bytes[0] = address.is_v4() ? 4 : 6;
    const std::size_t n = address.is_v4() ? 4 : 8;
    std::copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n), key.bytes.begin() + 1);
    return key;
}

}  // namespace jppd::http
