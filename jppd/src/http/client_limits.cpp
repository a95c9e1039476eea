#include "http/client_limits.hpp"

#include <cmath>

namespace jppd::http {

void ClientTable::Lease::reset() noexcept {
    if (table_) table_->close_connection(key_);
    table_ = nullptr;
}

ClientTable::Shard& ClientTable::shard_of(const ClientKey& key) {
    std::size_t h = 1469598103934665603u;  // FNV-1a: spreads keys over shards (each shard is a tree: no flooding)
    for (const auto b : key.bytes) h = (h ^ b) * 1099511628211u;
    return shards_[h % shards_.size()];
}

void ClientTable::refill(Entry& e, Clock::time_point now) const {
    if (options_.requests_per_second <= 0) return;
    if (now > e.refilled) {
        const double elapsed = std::chrono::duration<double>(now - e.refilled).count();
        e.tokens = std::min(options_.burst, e.tokens + elapsed * options_.requests_per_second);
    }
    e.refilled = now;
}

bool ClientTable::idle(const Entry& e) const {
    return e.connections == 0 && (options_.requests_per_second <= 0 || e.tokens >= options_.burst);
}

ClientTable::Entry& ClientTable::entry(Shard& shard, const ClientKey& key, Clock::time_point now) {
    if (const auto it = shard.clients.find(key); it != shard.clients.end()) return it->second;
    if (shard.clients.size() >= 256 && shard.clients.size() >= 2 * shard.size_after_sweep) sweep(shard, now);
    Entry& e = shard.clients[key];
    e.tokens = options_.burst;
    e.refilled = now;
    return e;
}

void ClientTable::sweep(Shard& shard, Clock::time_point now) {
    for (auto it = shard.clients.begin(); it != shard.clients.end();) {
        refill(it->second, now);
        it = idle(it->second) ? shard.clients.erase(it) : std::next(it);
    }
    shard.size_after_sweep = shard.clients.size();
}

std::optional<ClientTable::Lease> ClientTable::open_connection(const asio::ip::address& client) {
    if (options_.max_connections == 0) return Lease{};
    const ClientKey key = client_key(client);
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mutex);
    Entry& e = entry(shard, key, Clock::now());
    if (e.connections >= options_.max_connections) return std::nullopt;
    ++e.connections;
    return Lease(this, key);
}

void ClientTable::close_connection(const ClientKey& key) noexcept {
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mutex);
    const auto it = shard.clients.find(key);
    if (it == shard.clients.end()) return;
    if (it->second.connections > 0) --it->second.connections;
    refill(it->second, Clock::now());
    if (idle(it->second)) shard.clients.erase(it);
}

bool ClientTable::admit_request(const asio::ip::address& client, Clock::time_point now,
                                std::chrono::seconds& retry_after) {
    if (options_.requests_per_second <= 0) return true;
    const ClientKey key = client_key(client);
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mutex);
    Entry& e = entry(shard, key, now);
    refill(e, now);
    if (e.tokens >= 1) {
        e.tokens -= 1;
        return true;
    }
    const double wait = (1 - e.tokens) / options_.requests_per_second;
    retry_after = std::chrono::seconds(std::max<long long>(1, static_cast<long long>(std::ceil(wait))));
    return false;
}

std::size_t ClientTable::tracked_clients() const {
    std::size_t n = 0;
    for (const auto& shard : shards_) {
        std::lock_guard lock(shard.mutex);
        n += shard.clients.size();
    }
    return n;
}

}  // namespace jppd::http
