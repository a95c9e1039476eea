// The memory that request bodies being read may hold, across every connection. A body's buffer grows only by
// reserving from the budget first; the reservation follows the request to its handler and is given back when the
// request is gone. A request whose body would pass the budget is refused with 503 (and Retry-After), rather than
// waiting unbuffered: a client that stalls mid-body then holds only what it has sent, never the whole budget, and
// its connection's request deadline still ends it.
#pragma once

#include <atomic>
#include <cstddef>

namespace jppd::http {

class BodyBudget {
public:
    // limit 0: no budget (reservations always succeed, and are still counted)
    explicit BodyBudget(std::size_t limit) : limit_(limit) {}
    BodyBudget(const BodyBudget&) = delete;
    BodyBudget& operator=(const BodyBudget&) = delete;

    bool try_reserve(std::size_t bytes) noexcept {
        std::size_t used = used_.load(std::memory_order_relaxed);
        do {
            if (limit_ != 0 && (bytes > limit_ || used > limit_ - bytes)) return false;
        } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
        return true;
    }
    // Counts memory already taken (an allocator's rounding), even past the limit.
    void add(std::size_t bytes) noexcept { used_.fetch_add(bytes, std::memory_order_relaxed); }
    void release(std::size_t bytes) noexcept { used_.fetch_sub(bytes, std::memory_order_relaxed); }

    // What a new reservation could get now (the largest size_t without a budget).
    std::size_t available() const noexcept {
        if (limit_ == 0) return static_cast<std::size_t>(-1);
        const std::size_t used = used_.load(std::memory_order_relaxed);
        return used >= limit_ ? 0 : limit_ - used;
    }
    std::size_t used() const noexcept { return used_.load(std::memory_order_relaxed); }
    std::size_t limit() const noexcept { return limit_; }

private:
    const std::size_t limit_;
    std::atomic<std::size_t> used_{0};
};

}  // namespace jppd::http
