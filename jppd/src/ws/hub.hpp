// The watchers of invoices: which WebSocket sessions watch which invoice, and the bridge from the core's event bus
// to them. A published event is encoded once and queued on each watcher's strand; the publisher never waits for
// a socket.
#pragma once

#include <jpp/events.hpp>
#include <jpp/json.hpp>
#include <jpp/service.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http/client_address.hpp"
#include "http/stream.hpp"
#include "http/transport.hpp"

namespace jppd::ws {

struct HubOptions {
    std::size_t max_sessions = 8000;
    std::size_t max_sessions_per_client = 50;  // per client (an IPv4 address, an IPv6 /64); 0: no limit
    std::uint64_t max_message_bytes = 16 * 1024;  // a larger client message is answered with close 1009
    std::size_t max_queued_bytes = 256 * 1024;     // a watcher this far behind is dropped
    // Watchers are pinged this often; one that has not answered (or sent anything) by the next ping is dropped,
    // as is one whose writes have not progressed for as long.
    std::chrono::milliseconds ping_interval{30000};
    // After the server's close frame, how long the peer has to answer it before the socket is closed.
    std::chrono::milliseconds close_timeout{2000};
};

class Session;

class Hub {
public:
    // Subscribes to every event on the bus; `json_context` gives the base URL and time messages are written with.
    Hub(HubOptions options, jpp::InvoiceService& service, jpp::EventBus& events,
        std::function<jpp::JsonContext()> json_context);
    ~Hub();
    Hub(const Hub&) = delete;
    Hub& operator=(const Hub&) = delete;

    // A watcher's place under the limits, taken when the handshake is accepted and held until its session ends,
    // or given back when the upgrade does not happen (the 101 could not be written, shutdown began): whoever holds
    // the last reference gives it back. Taking it is one atomic step, so handshakes arriving together can never
    // pass the limits, however long their upgrades take.
    class Slot {
    public:
        ~Slot();
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;

    private:
        friend class Hub;
        Slot(Hub& hub, const http::ClientKey& client) : hub_(hub), client_(client) {}
        Hub& hub_;
        http::ClientKey client_;
    };
    enum class Refusal : std::uint8_t { server_full, client_full };

    // A slot for a watcher from `client`, or null with the reason (the handshake is then refused: 503 when the
    // server is full, 429 when that client holds its share).
    std::shared_ptr<Slot> reserve(const asio::ip::address& client, Refusal& why);
    std::size_t session_count() const noexcept { return sessions_.load(); }  // slots taken

    // After the 101 is written: the session that takes over the socket and watches `invoice`, in `slot`. It is
    // sent payment_received only, unless `all_events` (?events=all): then every event of the invoice (expired,
    // cancelled, confirmed, reversed, underpaid).
    std::shared_ptr<http::Stream> attach(http::Transport transport, const jpp::InvoiceId& invoice,
                                         std::string already_read, std::shared_ptr<Slot> slot, bool all_events);

    const HubOptions& options() const noexcept { return options_; }
    // Whether anyone watches `invoice` now. A watcher joins before it reads its invoice's state, so one that joins
    // after this said no still learns of a change committed before (see Session::start).
    bool watched(const jpp::InvoiceId& invoice) const;

private:
    friend class Session;
    // A session's start and end (its slot was taken before).
    void join(const std::shared_ptr<Session>& session);
    void leave(Session* session);
    void release(const http::ClientKey& client);  // a slot given back
    // The message a watcher that connects now should get at once: the payment if the invoice is paid, the expiry
    // if it expired unpaid; null otherwise.
    std::shared_ptr<const std::string> current_state(const jpp::InvoiceId& invoice, jpp::EventType& type);
    void publish(const jpp::Event& event);
    std::shared_ptr<const std::string> encode(const jpp::Event& event) const;

    HubOptions options_;
    jpp::InvoiceService& service_;
    jpp::EventBus& events_;
    std::function<jpp::JsonContext()> json_context_;
    std::atomic<std::size_t> sessions_{0};  // slots taken
    std::mutex slots_mutex_;                // slot-taking and giving back
    std::map<http::ClientKey, std::size_t> slots_by_client_;
    mutable std::mutex mutex_;
    struct Watcher {
        Session* session;  // identity, for leave(): by then the weak pointer has expired
        std::weak_ptr<Session> weak;
    };
    std::map<jpp::InvoiceId, std::vector<Watcher>> watchers_;
    jpp::SubscriptionId subscription_ = 0;
};

}  // namespace jppd::ws
