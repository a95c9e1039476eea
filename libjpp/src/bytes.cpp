#include "jpp/bytes.hpp"


namespace jpp {
namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string to_hex(ByteView bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(bytes.size() * 2, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0x0f];
    }
    return out;
}

Result<Bytes> from_hex(std::string_view hex) {
    for (std::size_t i = 0; i < hex.size(); ++i) {
        if (hex_value(hex[i]) < 0)
            return make_error(Errc::invalid_hex, "invalid hex character at position " + std::to_string(i), i);
    }
    if (hex.size() % 2 != 0)
        return make_error(Errc::invalid_hex, "hex string has an odd number of digits (" +
                                                 std::to_string(hex.size()) + ")", hex.size());
    Bytes out(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<std::uint8_t>(hex_value(hex[2 * i]) << 4 | hex_value(hex[2 * i + 1]));
    return out;
}

std::size_t compact_size_length(std::uint64_t value) noexcept {
    if (value < 0xfd) return 1;
    if (value <= 0xffff) return 3;
    if (value <= 0xffffffff) return 5;
    return 9;
}

void Reader::fail_at(std::size_t at, Errc code, std::string message) {
    if (!ok()) return;
    error_ = Error{code, std::move(message), at};
}

void Reader::fail_truncated(std::size_t count, std::string_view what) {
    fail(Errc::truncated, "unexpected end of data reading " + std::string(what) + ": needed " + std::to_string(count) +
                              " bytes, " + std::to_string(remaining()) + " left");
}

std::uint64_t Reader::compact_size(std::string_view what, std::uint64_t cap) {
    const std::size_t start = offset_;
    if (!take(1, what)) return 0;
    const std::uint8_t first = data_[offset_++];
    std::uint64_t value = first;
    std::uint64_t minimum = 0;
    std::size_t width = 0;
    if (first == 0xfd) { width = 2; minimum = 0xfd; }
    else if (first == 0xfe) { width = 4; minimum = 0x10000; }
    else if (first == 0xff) { width = 8; minimum = 0x100000000; }
    if (width != 0) {
        if (!take(width, what)) return 0;
        value = 0;
        for (std::size_t i = width; i-- > 0;) value = value << 8 | data_[offset_ + i];
        offset_ += width;
        if (value < minimum) {
            fail_at(start, Errc::non_canonical_size,
                    "non-minimal CompactSize encoding of " + std::string(what));
            return 0;
        }
    }
    if (value > cap) {
        fail_at(start, Errc::size_too_large,
                std::string(what) + " " + std::to_string(value) + " exceeds the limit of " + std::to_string(cap));
        return 0;
    }
    return value;
}

ByteView Reader::sized_bytes(std::string_view what) {
    const std::uint64_t size = compact_size(what);
    if (!ok()) return {};
    if (!take(static_cast<std::size_t>(size), what)) return {};
    ByteView out = data_.subspan(offset_, static_cast<std::size_t>(size));
    offset_ += static_cast<std::size_t>(size);
    return out;
}

void Writer::u32le(std::uint32_t value) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

void Writer::u64le(std::uint64_t value) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

void Writer::compact_size(std::uint64_t value) {
    if (value < 0xfd) {
        u8(static_cast<std::uint8_t>(value));
    } else if (value <= 0xffff) {
        u8(0xfd);
        u8(static_cast<std::uint8_t>(value));
        u8(static_cast<std::uint8_t>(value >> 8));
    } else if (value <= 0xffffffff) {
        u8(0xfe);
        u32le(static_cast<std::uint32_t>(value));
    } else {
        u8(0xff);
        u64le(value);
    }
}

}  // namespace jpp
