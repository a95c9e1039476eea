// The public JSON of recently read invoices, serialized once and served again until the invoice changes: what
// makes GET /jpp/invoices/{id}/ cost no more than a static file.
//
// Freshness. An entry goes when its invoice changes: every change made in this process is announced on the
// service's bus synchronously, after its commit and before the request that made it is answered (a payment is
// acknowledged to the wallet only after its entry is gone), and the event log's follower announces the rest.
// A reader that loaded the invoice before a change and stores its answer after the change's invalidation would
// put back a stale answer: readers take a ticket before they read the store, and an answer whose ticket predates
// an invalidation of its shard is not kept. An unpaid invoice's status turns to expired at its expiry without any
// write, so no entry outlives its invoice's expiry; a paid one's confirmations change at each block without an
// event, so paid invoices are never kept. Entries also go after `max_age`, which bounds what no event announces
// (the retention policy's deletions).
//
// Memory: at most `capacity` entries of at most `max_entry_bytes` each (a larger answer, an invoice with many long
// outputs, is served from the store each time), so a client reading many invoices cannot make it grow further.
//
// Only for a store that this process alone writes: with several instances, a payment acknowledged by another one
// reaches this one's follower a moment later, and main() leaves the cache off.
#pragma once

#include <jpp/clock.hpp>
#include <jpp/invoice.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace jppd::api {

class InvoiceCache {
public:
    static constexpr std::size_t max_entry_bytes = 16 * 1024;

    // At most `capacity` entries (0: nothing is kept), each at most `max_age` old.
    explicit InvoiceCache(std::size_t capacity, std::chrono::seconds max_age = std::chrono::seconds(60));

    using Ticket = std::uint64_t;
    // Taken before the invoice is read from the store; given back to keep().
    Ticket ticket(const jpp::InvoiceId& id);
    // The kept JSON of `id`, when there is one still valid at `now`.
    std::optional<std::string> find(const jpp::InvoiceId& id, jpp::Timestamp now);
    // Keeps `json`, the public JSON of `invoice` as read after `ticket` was taken, unless the invoice changed since
    // or cannot be kept (see above).
    void keep(const jpp::Invoice& invoice, Ticket ticket, const std::string& json, jpp::Timestamp now);
    // Forgets `id`'s entry: it changed.
    void invalidate(const jpp::InvoiceId& id);

private:
    struct Entry {
        std::string json;
        jpp::Timestamp valid_until;
    };
    struct IdHash {
        std::size_t operator()(const jpp::InvoiceId& id) const noexcept;
    };
    struct Shard {
        std::mutex mutex;
        std::unordered_map<jpp::InvoiceId, Entry, IdHash> entries;
        std::uint64_t invalidations = 0;  // the tickets: an answer is kept only if none happened since its own
    };
    static constexpr std::size_t shards = 16;

    Shard& shard_of(const jpp::InvoiceId& id) noexcept;

    const std::size_t per_shard_;
    const std::chrono::seconds max_age_;
    std::array<Shard, shards> shards_;
};

}  // namespace jppd::api
