// Per-client limits: how many connections one client (one IPv4 address, one IPv6 /64: client_address.hpp) may
// hold, and how fast it may send requests (a token bucket: `burst` requests at once, then `requests_per_second`).
// Thread-safe: the table is split in shards, each under its own mutex, so I/O threads rarely meet.
//
// Memory: a client has an entry while it holds a connection or its bucket is refilling; idle entries are swept
// as the table grows, so it is bounded by the connections open plus the clients seen in the last burst/rate
// seconds.
#pragma once

#include <asio/ip/address.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>

#include "http/client_address.hpp"

namespace jppd::http {

struct ClientLimitOptions {
    std::size_t max_connections = 100;  // per client, WebSockets included; 0: no limit
    double requests_per_second = 50;    // each client's sustained rate; 0: no rate limit
    double burst = 500;                 // requests a client may send at once
};

class ClientTable {
public:
    using Clock = std::chrono::steady_clock;

    explicit ClientTable(ClientLimitOptions options) : options_(options) {}
    ClientTable(const ClientTable&) = delete;
    ClientTable& operator=(const ClientTable&) = delete;

    // One connection counted against a client, until the lease is destroyed.
    class Lease {
    public:
        Lease() = default;
        Lease(Lease&& other) noexcept : table_(other.table_), key_(other.key_) { other.table_ = nullptr; }
        Lease& operator=(Lease&& other) noexcept {
            if (this != &other) {
                reset();
                table_ = other.table_;
                key_ = other.key_;
                other.table_ = nullptr;
            }
            return *this;
        }
        ~Lease() { reset(); }
        void reset() noexcept;

    private:
        friend class ClientTable;
        Lease(ClientTable* table, const ClientKey& key) : table_(table), key_(key) {}
        ClientTable* table_ = nullptr;
        ClientKey key_;
    };

    // A connection from `client`: its lease, or nothing when the client already holds max_connections.
    std::optional<Lease> open_connection(const asio::ip::address& client);

    // Takes one request from the client's bucket. False when it is empty; `retry_after` is then how long until a
    // request would be admitted (at least a second: Retry-After counts in seconds).
    bool admit_request(const asio::ip::address& client, Clock::time_point now, std::chrono::seconds& retry_after);

    const ClientLimitOptions& options() const noexcept { return options_; }
    std::size_t tracked_clients() const;  // entries held (tests)

private:
    struct Entry {
        std::size_t connections = 0;
        double tokens = 0;
        Clock::time_point refilled{};
    };
    struct Shard {
        mutable std::mutex mutex;
        std::map<ClientKey, Entry> clients;
        std::size_t size_after_sweep = 0;
    };

    Shard& shard_of(const ClientKey& key);
    Entry& entry(Shard& shard, const ClientKey& key, Clock::time_point now);
    void refill(Entry& e, Clock::time_point now) const;
    bool idle(const Entry& e) const;
    void sweep(Shard& shard, Clock::time_point now);
    void close_connection(const ClientKey& key) noexcept;

    ClientLimitOptions options_;
    std::array<Shard, 16> shards_;
};

}  // namespace jppd::http
