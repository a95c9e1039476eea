// One watcher: a WebSocket connection to ws/jpp/invoice/{id}/. It sends the invoice's events and answers the
// protocol's control frames; whatever data the client sends is checked and dropped, never relayed.
//
// Idle, a session on plain TCP holds no buffer: it waits for readability and reads into a per-thread buffer, and
// its send queue is empty. Over TLS it keeps a read in flight into a small buffer of its own (the TLS engine may
// hold decrypted bytes a readable socket says nothing of). Messages are shared, already framed, between all
// watchers of an invoice.
#pragma once

#include <asio.hpp>

#include <jpp/events.hpp>
#include <jpp/invoice.hpp>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "http/stream.hpp"
#include "http/transport.hpp"
#include "ws/frame_reader.hpp"

namespace jppd::ws {

class Hub;

class Session final : public http::Stream, public std::enable_shared_from_this<Session> {
public:
    // `slot`: the place under the watcher limits the handshake took (Hub::reserve), held for the session's life.
    // `all_events`: every event of the invoice; otherwise payment_received only.
    Session(Hub& hub, http::Transport transport, const jpp::InvoiceId& invoice, std::string already_read,
            std::shared_ptr<void> slot, bool all_events);
    ~Session() override;

    asio::any_io_executor executor() override { return transport_.get_executor(); }
    void start() override;
    void stop_gracefully() override;  // close 1001, going away
    void close() override;

    const jpp::InvoiceId& invoice() const noexcept { return invoice_; }

    // From any thread: queue an event's frame (each event type is sent at most once per session). On an I/O
    // thread, and with the session idle, this runs at once rather than being posted.
    void deliver(jpp::EventType type, std::shared_ptr<const std::string> frame);

private:
    enum class Phase : std::uint8_t {
        open,
        closing,  // our close frame is queued or sent: drop data, wait for the peer's close or end of stream
        closed,
    };

    void send_event(jpp::EventType type, std::shared_ptr<const std::string> frame);
    void wait_readable();
    void read_available();
    void read_tls();
    void consume(const std::uint8_t* data, std::size_t size);
    void on_control();
    void enqueue(std::shared_ptr<const std::string> frame);
    void flush();
    void wrote();  // the frames in writing_ are out
    void begin_close(std::uint16_t code, std::string_view reason);
    void arm_timer(std::chrono::milliseconds after);
    void on_tick();

    Hub& hub_;
    http::Transport transport_;
    std::unique_ptr<std::array<std::uint8_t, 4096>> tls_buffer_;  // over TLS: where reads land
    asio::steady_timer timer_;
    FrameReader reader_;
    jpp::InvoiceId invoice_;
    std::string already_read_;  // bytes after the handshake, read by the HTTP connection
    std::shared_ptr<void> slot_;  // given back (Hub::Slot) after hub_.leave, as the session is destroyed
    std::vector<std::shared_ptr<const std::string>> queue_;    // waiting for the write in flight
    std::vector<std::shared_ptr<const std::string>> writing_;  // the write in flight
    std::size_t queued_bytes_ = 0;
    Phase phase_ = Phase::open;
    bool joined_ = false;
    bool all_events_ = false;
    std::uint8_t told_ = 0;  // a bit per kind of message sent: each is sent once
    bool peer_closed_ = false;      // the peer's close frame arrived
    bool heard_ = true;             // bytes arrived since the last ping
    bool write_stalled_ = false;    // the write in flight was already in flight at the last tick
};

}  // namespace jppd::ws
