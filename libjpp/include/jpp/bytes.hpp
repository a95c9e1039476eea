// Byte buffers, strict hex, and the bounds-checked Reader / Writer that every wire format in libjpp is built on.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jpp/error.hpp"

namespace jpp {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Lower-case hex of the bytes.
std::string to_hex(ByteView bytes);

// Strict hex: even length, only [0-9a-fA-F]; no prefix, no whitespace. The empty string decodes to no bytes.
// The error's offset is the index of the first offending character.
Result<Bytes> from_hex(std::string_view hex);

// CompactSize: the variable-length integer of the wire format (1, 3, 5 or 9 bytes).
// Lengths and counts are capped at 32 MiB, as a node does; token amounts use the full 64-bit range.
inline constexpr std::uint64_t max_compact_size = 0x02000000;
std::size_t compact_size_length(std::uint64_t value) noexcept;

// Reads little-endian fields from a byte span without ever reading past its end.
// The first failure is sticky: later reads return zeros or empty spans, do not advance, and keep the first error,
// so a decoder can read a whole structure and check ok() once at its end (or at any branch that needs it).
class Reader {
public:
    explicit Reader(ByteView data) noexcept : data_(data) {}

    // The fixed-width reads are inline: decoders call them for every field, and a call per byte shows in profiles.
    std::uint8_t u8() { return take(1, "a byte") ? data_[offset_++] : 0; }
    std::uint32_t u32le() { return take(4, "a 32-bit integer") ? load_le<std::uint32_t>() : 0; }
    std::uint64_t u64le() { return take(8, "a 64-bit integer") ? load_le<std::uint64_t>() : 0; }
    ByteView bytes(std::size_t count) {
        if (!take(count, "bytes")) return {};
        const ByteView out = data_.subspan(offset_, count);
        offset_ += count;
        return out;
    }
    // Rejects non-minimal encodings and values above `cap`; `what` names the field in the error message.
    std::uint64_t compact_size(std::string_view what, std::uint64_t cap = max_compact_size);
    // A CompactSize length followed by that many bytes.
    ByteView sized_bytes(std::string_view what);

    // Records a failure at the current offset (or at `at`) unless one is already recorded.
    void fail(Errc code, std::string message) { fail_at(offset_, code, std::move(message)); }
    void fail_at(std::size_t at, Errc code, std::string message);

    bool ok() const noexcept { return error_.code == Errc::ok; }
    const Error& error() const noexcept { return error_; }
    std::size_t offset() const noexcept { return offset_; }
    std::size_t remaining() const noexcept { return data_.size() - offset_; }
    bool at_end() const noexcept { return offset_ == data_.size(); }
    ByteView data() const noexcept { return data_; }

private:
    bool take(std::size_t count, std::string_view what) {
        if (ok() && count <= remaining()) return true;
        if (ok()) fail_truncated(count, what);
        return false;
    }
    void fail_truncated(std::size_t count, std::string_view what);

    template <class T>
    T load_le() noexcept {
        T v = 0;
        if constexpr (std::endian::native == std::endian::little) {
            std::memcpy(&v, data_.data() + offset_, sizeof v);
        } else {
            for (std::size_t i = sizeof(T); i-- > 0;) v = static_cast<T>(v << 8 | data_[offset_ + i]);
        }
        offset_ += sizeof v;
        return v;
    }

    ByteView data_;
    std::size_t offset_ = 0;
    Error error_;
};

// Appends little-endian fields to a byte vector it borrows.
class Writer {
public:
    explicit Writer(Bytes& out) noexcept : out_(out) {}

    void u8(std::uint8_t value) { out_.push_back(value); }
    void u32le(std::uint32_t value);
    void u64le(std::uint64_t value);
    void bytes(ByteView value) { out_.insert(out_.end(), value.begin(), value.end()); }
    void compact_size(std::uint64_t value);  // always minimal
    void sized_bytes(ByteView value) { compact_size(value.size()); bytes(value); }

private:
    Bytes& out_;
};

}  // namespace jpp
