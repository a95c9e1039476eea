// What the stores share (internal): the guard every public store method runs its body in, the time and row
// helpers, and the text form of a broadcast intent's refund outputs. One home for each, so that the SQLite and the
// PostgreSQL store read and report alike.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jpp/error.hpp"
#include "jpp/invoice.hpp"

namespace jpp::store_support {

// A row that does not decode is corruption (or a foreign writer), reported as a store failure, never guessed at.
[[noreturn]] inline void corrupt(std::string_view what) {
    throw std::runtime_error("corrupt row: " + std::string(what));
}

inline std::int64_t to_seconds(Timestamp t) { return static_cast<std::int64_t>(t.time_since_epoch().count()); }
inline Timestamp from_seconds(std::int64_t s) { return Timestamp(std::chrono::seconds(s)); }

// A caller's limit as SQL's LIMIT takes it: SIZE_MAX means "all", which is INT64_MAX rows.
inline std::int64_t sql_limit(std::size_t limit) {
    return static_cast<std::int64_t>(std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

// A broadcast intent's refund outputs, as "amount address" lines.
inline std::string refund_text(const std::vector<RefundOutput>& refund_to) {
    std::string text;
    for (const RefundOutput& r : refund_to) text += std::to_string(r.amount) + " " + r.address + "\n";
    return text;
}

inline std::vector<RefundOutput> refund_from_text(std::string_view text) {
    std::vector<RefundOutput> out;
    while (!text.empty()) {
        const auto end = text.find('\n');
        const auto space = text.find(' ');
        if (end == std::string_view::npos || space == std::string_view::npos || space > end)
            corrupt("broadcast_intents.refund_to");
        RefundOutput r;
        try {
            std::size_t used = 0;
            r.amount = std::stoll(std::string(text.substr(0, space)), &used);
            if (used != space) corrupt("broadcast_intents.refund_to");
        } catch (const std::logic_error&) {
            corrupt("broadcast_intents.refund_to");
        }
        r.address = std::string(text.substr(space + 1, end - space - 1));
        out.push_back(std::move(r));
        text.remove_prefix(end + 1);
    }
    return out;
}

// Every public method runs its body here: no exception leaves the store, and the message names the operation
// alongside the database's own text ("record payment: database is locked").
template <class T, class F>
Result<T> guarded(std::string_view operation, F&& body) noexcept {
    try {
        try {
            return body();
        } catch (const std::exception& e) {
            return make_error(Errc::store_failure, std::string(operation) + ": " + e.what());
        } catch (...) {
            return make_error(Errc::store_failure, std::string(operation) + ": unknown error");
        }
    } catch (...) {
        // Building the message itself failed (out of memory): still an error value, not an exception.
        return Error{Errc::store_failure, {}, Error::no_offset};
    }
}

template <class F>
Status guarded_status(std::string_view operation, F&& body) noexcept {
    auto done = guarded<bool>(operation, [&] {
        body();
        return true;
    });
    if (!done) return std::move(done).error();
    return {};
}

}  // namespace jpp::store_support
