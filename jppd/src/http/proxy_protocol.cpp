#include "http/proxy_protocol.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <vector>

#include "http/client_address.hpp"

namespace jppd::http {

namespace {

constexpr std::string_view v1_prefix = "PROXY ";
constexpr std::string_view v2_signature("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12);
constexpr std::size_t v2_fixed = 16;         // signature, version and command, family, length
constexpr std::size_t v2_address_keep = 36;  // the largest address block read (TCP over IPv6); TLVs are skipped

bool valid_port(std::string_view digits) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    return !digits.empty() && digits.size() <= 5 && ec == std::errc() && end == digits.data() + digits.size() &&
           value <= 65535 && (digits.size() == 1 || digits[0] != '0');
}

}  // namespace

void ProxyHeaderParser::fail(std::string why) {
    state_ = State::failed;
    error_ = "malformed PROXY protocol header: " + std::move(why);
}

std::size_t ProxyHeaderParser::feed(const char* data, std::size_t size) {
    std::size_t used = 0;
    while (used < size && state_ == State::need_more) {
        switch (version_) {
            case Version::unknown:
                if (data[used] == 'P') version_ = Version::v1;
                else if (data[used] == '\r') version_ = Version::v2;
                else fail("the connection does not start with one");
                break;
            case Version::v1: {
                const char c = data[used++];
                head_ += c;
                if (head_.size() <= v1_prefix.size()) {
                    if (c != v1_prefix[head_.size() - 1]) fail("the connection does not start with one");
                } else if (c == '\n') {
                    if (head_[head_.size() - 2] != '\r') fail("the line does not end with CRLF");
                    else finish_v1();
                } else if (head_.size() >= v1_max_bytes) {
                    fail("the line is longer than 107 bytes");
                }
                break;
            }
            case Version::v2:
                if (head_.size() < v2_fixed) {
                    const char c = data[used++];
                    head_ += c;
                    if (head_.size() <= v2_signature.size()) {
                        if (c != v2_signature[head_.size() - 1]) fail("the connection does not start with one");
                    } else if (head_.size() == v2_fixed) {
                        const auto version_command = static_cast<std::uint8_t>(head_[12]);
                        if ((version_command >> 4) != 2) fail("version 2's signature with another version");
                        else if ((version_command & 0x0F) > 1) fail("an unknown command");
                        v2_length_ = static_cast<std::size_t>(static_cast<std::uint8_t>(head_[14])) << 8 |
                                     static_cast<std::uint8_t>(head_[15]);
                        if (state_ == State::need_more && v2_length_ == 0) finish_v2_addresses();
                    }
                } else {
                    const std::size_t take = std::min(size - used, v2_length_ - v2_consumed_);
                    const std::size_t kept = head_.size() - v2_fixed;
                    const std::size_t keep = kept < v2_address_keep ? std::min(take, v2_address_keep - kept) : 0;
                    head_.append(data + used, keep);
                    used += take;
                    v2_consumed_ += take;
                    if (v2_consumed_ == v2_length_) finish_v2_addresses();
                }
                break;
        }
    }
    return used;
}

void ProxyHeaderParser::finish_v1() {
    std::string_view line(head_);
    line.remove_suffix(2);  // CRLF
    std::vector<std::string_view> words;
    while (true) {
        const auto space = line.find(' ');
        words.push_back(line.substr(0, space));
        if (space == std::string_view::npos) break;
        line.remove_prefix(space + 1);
    }
    if (words.size() >= 2 && words[1] == "UNKNOWN") {  // the proxy's own connection (a health check): no client
        state_ = State::done;
        return;
    }
    if (words.size() != 6 || (words[1] != "TCP4" && words[1] != "TCP6"))
        return fail("expected PROXY TCP4|TCP6 SOURCE DESTINATION SPORT DPORT");
    asio::error_code ec1, ec2;
    asio::ip::address source, destination;
    if (words[1] == "TCP4") {
        source = asio::ip::make_address_v4(std::string(words[2]), ec1);
        destination = asio::ip::make_address_v4(std::string(words[3]), ec2);
    } else {
        source = asio::ip::make_address_v6(std::string(words[2]), ec1);
        destination = asio::ip::make_address_v6(std::string(words[3]), ec2);
    }
    if (ec1 || ec2) return fail("an address that is not of the family named");
    if (!valid_port(words[4]) || !valid_port(words[5])) return fail("a port that is not a number up to 65535");
    source_ = unmapped(source);
    state_ = State::done;
}

void ProxyHeaderParser::finish_v2_addresses() {
    const auto command = static_cast<std::uint8_t>(head_[12]) & 0x0F;
    const auto family = static_cast<std::uint8_t>(head_[13]);
    const auto* block = reinterpret_cast<const std::uint8_t*>(head_.data()) + v2_fixed;
    if (command == 0x1 && family == 0x11) {  // PROXY, TCP over IPv4
        if (v2_length_ < 12) return fail("an IPv4 address block shorter than 12 bytes");
        source_ = asio::ip::address_v4({block[0], block[1], block[2], block[3]});
    } else if (command == 0x1 && family == 0x21) {  // PROXY, TCP over IPv6
        if (v2_length_ < 36) return fail("an IPv6 address block shorter than 36 bytes");
        asio::ip::address_v6::bytes_type bytes;
        std::copy(block, block + 16, bytes.begin());
        source_ = unmapped(asio::ip::address_v6(bytes));
    }
    // LOCAL (the proxy's own connection), or a family without a TCP client: the peer stands for itself.
    state_ = State::done;
}

}  // namespace jppd::http
