#include "api/invoice_cache.hpp"

#include <cstring>

namespace jppd::api {

std::size_t InvoiceCache::IdHash::operator()(const jpp::InvoiceId& id) const noexcept {
    std::size_t h;  // the ids are random: their first bytes are a hash already
    std::memcpy(&h, id.bytes.data(), sizeof h);
    return h;
}

InvoiceCache::InvoiceCache(std::size_t capacity, std::chrono::seconds max_age)
    : per_shard_((capacity + shards - 1) / shards), max_age_(max_age) {}

InvoiceCache::Shard& InvoiceCache::shard_of(const jpp::InvoiceId& id) noexcept {
    return shards_[id.bytes[15] % shards];  // not the bytes IdHash uses: each shard's map spreads its ids
}

InvoiceCache::Ticket InvoiceCache::ticket(const jpp::InvoiceId& id) {
    Shard& s = shard_of(id);
    std::lock_guard lock(s.mutex);
    return s.invalidations;
}

std::optional<std::string> InvoiceCache::find(const jpp::InvoiceId& id, jpp::Timestamp now) {
    Shard& s = shard_of(id);
    std::lock_guard lock(s.mutex);
    const auto it = s.entries.find(id);
    if (it == s.entries.end()) return std::nullopt;
    if (now >= it->second.valid_until) {
        s.entries.erase(it);
        return std::nullopt;
    }
    return it->second.json;
}

void InvoiceCache::keep(const jpp::Invoice& invoice, Ticket ticket, const std::string& json, jpp::Timestamp now) {
    if (per_shard_ == 0 || invoice.payment || now >= invoice.expires || json.size() > max_entry_bytes) return;
    // An unpaid invoice's answer holds until its expiry (then its status says expired) or max_age.
    const jpp::Timestamp valid_until = std::min(invoice.expires, now + max_age_);
    Shard& s = shard_of(invoice.id);
    std::lock_guard lock(s.mutex);
    if (s.invalidations != ticket) return;  // it changed while it was read: this answer may be stale
    if (s.entries.size() >= per_shard_ && !s.entries.contains(invoice.id)) s.entries.erase(s.entries.begin());
    s.entries.insert_or_assign(invoice.id, Entry{json, valid_until});
}

void InvoiceCache::invalidate(const jpp::InvoiceId& id) {
    Shard& s = shard_of(id);
    std::lock_guard lock(s.mutex);
    ++s.invalidations;
    s.entries.erase(id);
}

}  // namespace jppd::api
