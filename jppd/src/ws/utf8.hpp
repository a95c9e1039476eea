// UTF-8 validation fed in pieces: a text message arrives in frames and reads that may split a character anywhere.
#pragma once

#include <cstddef>
#include <cstdint>

namespace jppd::ws {

class Utf8Validator {
public:
    // False from the first byte that cannot continue valid UTF-8 (RFC 3629: no overlong forms, no surrogates,
    // nothing above U+10FFFF), and every time after.
    bool feed(const std::uint8_t* data, std::size_t size) noexcept {
        for (std::size_t i = 0; i < size && !failed_; ++i) {
            const std::uint8_t b = data[i];
            if (need_ > 0) {
                if (b < lo_ || b > hi_) failed_ = true;
                --need_;
                lo_ = 0x80;
                hi_ = 0xBF;
            } else if (b >= 0x80) {
                // The lead byte says how many continuation bytes follow and narrows the first one's range.
                if (b < 0xC2) failed_ = true;  // a stray continuation byte, or an overlong two-byte form
                else if (b < 0xE0) need_ = 1;
                else if (b < 0xF0) {
                    need_ = 2;
                    if (b == 0xE0) lo_ = 0xA0;  // overlong
                    if (b == 0xED) hi_ = 0x9F;  // surrogates
                } else if (b < 0xF5) {
                    need_ = 3;
                    if (b == 0xF0) lo_ = 0x90;  // overlong
                    if (b == 0xF4) hi_ = 0x8F;  // above U+10FFFF
                } else {
                    failed_ = true;
                }
            }
        }
        return !failed_;
    }

    // Valid so far and ending on a character boundary.
    bool complete() const noexcept { return !failed_ && need_ == 0; }

    void reset() noexcept { *this = Utf8Validator(); }

private:
    std::uint8_t need_ = 0;               // continuation bytes still to come
    std::uint8_t lo_ = 0x80, hi_ = 0xBF;  // the range the next continuation byte must lie in
    bool failed_ = false;
};

}  // namespace jppd::ws
