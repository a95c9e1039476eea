// Time for the core: UTC seconds, RFC 3339 text, and an injectable clock so tests decide what "now" is.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

#include "jpp/error.hpp"

namespace jpp {

using Timestamp = std::chrono::sys_seconds;

// "2025-10-23T12:34:56Z".
std::string to_rfc3339(Timestamp t);
// Accepts "YYYY-MM-DDTHH:MM:SS" with optional fraction and "Z" or a +hh:mm / -hh:mm offset; fractions are dropped.
Result<Timestamp> parse_rfc3339(std::string_view text);

class Clock {
public:
    virtual ~Clock() = default;
    // Whole seconds, rounded down: what the core stores and compares.
    virtual Timestamp now() const = 0;
    // Whole seconds, rounded up: an invoice is dated by it, so that it never expires before the lifetime it was
    // given (made at 10.8 s with 1 s to live, it is dated 11 and expires at 12, not at 11).
    virtual Timestamp now_rounded_up() const { return now(); }
};

class SystemClock final : public Clock {
public:
    Timestamp now() const override;
    Timestamp now_rounded_up() const override;
};

// A clock that only moves when told to; safe to read and set from several threads.
class ManualClock final : public Clock {
public:
    explicit ManualClock(Timestamp start) : now_(start.time_since_epoch().count()) {}
    Timestamp now() const override { return Timestamp(std::chrono::seconds(now_.load())); }
    void set(Timestamp t) { now_ = t.time_since_epoch().count(); }
    void advance(std::chrono::seconds by) { now_ += by.count(); }

private:
    std::atomic<std::chrono::seconds::rep> now_;
};

}  // namespace jpp
