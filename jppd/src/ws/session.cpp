#include "ws/session.hpp"

#include <array>

#include "log.hpp"
#include "metrics/metrics.hpp"
#include "ws/hub.hpp"

namespace jppd::ws {

Session::Session(Hub& hub, http::Transport transport, const jpp::InvoiceId& invoice, std::string already_read,
                 std::shared_ptr<void> slot, bool all_events)
    : hub_(hub),
      transport_(std::move(transport)),
      timer_(transport_.get_executor()),
      reader_(hub.options().max_message_bytes),
      invoice_(invoice),
      already_read_(std::move(already_read)),
      slot_(std::move(slot)),
      all_events_(all_events) {}

Session::~Session() {
    if (joined_) hub_.leave(this);
}

void Session::start() {
    if (phase_ != Phase::open) return;  // shut down between the handshake and now
    if (transport_.is_tls()) {
        tls_buffer_ = std::make_unique<std::array<std::uint8_t, 4096>>();
    } else {
        asio::error_code ignored;
        transport_.socket().non_blocking(true, ignored);  // reads happen when it is readable, until it would block
    }
    hub_.join(shared_from_this());  // its place under the limits was taken with the handshake
    joined_ = true;
    arm_timer(hub_.options().ping_interval);
    // Subscribed first, then read: an event committed before the read is in it, and one committed after is
    // delivered by the hub. One that is both is sent once (send_event remembers).
    jpp::EventType type{};
    if (auto frame = hub_.current_state(invoice_, type)) send_event(type, std::move(frame));
    if (!already_read_.empty()) {
        std::string bytes;
        bytes.swap(already_read_);
        consume(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }
    if (phase_ != Phase::closed) wait_readable();
}

void Session::deliver(jpp::EventType type, std::shared_ptr<const std::string> frame) {
    asio::dispatch(transport_.get_executor(), [self = shared_from_this(), type, frame = std::move(frame)]() mutable {
        self->send_event(type, std::move(frame));
    });
}

void Session::send_event(jpp::EventType type, std::shared_ptr<const std::string> frame) {
    if (phase_ != Phase::open) return;
    if (type != jpp::EventType::payment_received && !all_events_) return;  // not asked for (?events=all)
    // Each is told once: the payment; or else the end (expired or cancelled); and what the chain says of the
    // payment (confirmed, reversed).
    // Underpayments are told each time (each is another transaction).
    enum : std::uint8_t { paid = 1, closed = 2, confirmed = 4, reversed = 8 };
    std::uint8_t kind = paid;
    switch (type) {
        case jpp::EventType::payment_underpaid:
            metrics::event_sent_to_watchers(1);
            return enqueue(std::move(frame));
        case jpp::EventType::payment_received: kind = paid; break;
        case jpp::EventType::invoice_expired:
        case jpp::EventType::invoice_cancelled: kind = closed; break;
        case jpp::EventType::payment_confirmed: kind = confirmed; break;
        case jpp::EventType::payment_reversed: kind = reversed; break;
        case jpp::EventType::invoice_created: return;
    }
    if ((told_ & kind) != 0 || (kind == closed && (told_ & paid) != 0)) return;
    told_ = static_cast<std::uint8_t>(told_ | kind);
    metrics::event_sent_to_watchers(1);
    enqueue(std::move(frame));
}

void Session::wait_readable() {
    if (tls_buffer_) return read_tls();
    transport_.socket().async_wait(asio::socket_base::wait_read,
                                   [self = shared_from_this()](const asio::error_code& ec) {
                                       if (ec) return self->close();
                                       self->read_available();
                                   });
}

void Session::read_available() {
    thread_local std::array<std::uint8_t, 16 * 1024> buffer;
    for (int round = 0; round < 8; ++round) {
        if (phase_ == Phase::closed) return;
        asio::error_code ec;
        const std::size_t n = transport_.socket().read_some(asio::buffer(buffer), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) return wait_readable();
        if (ec) return close();  // end of stream or reset: after a close handshake, that is how it should end
        consume(buffer.data(), n);
    }
    // A client that keeps sending: let the other connections on this thread have a turn first.
    asio::post(transport_.get_executor(), [self = shared_from_this()] { self->read_available(); });
}

void Session::read_tls() {
    transport_.async_read_some(asio::buffer(*tls_buffer_), [self = shared_from_this()](const asio::error_code& ec,
                                                                                        std::size_t n) {
        if (ec) return self->close();
        if (self->phase_ == Phase::closed) return;
        self->consume(self->tls_buffer_->data(), n);
        if (self->phase_ != Phase::closed) self->read_tls();
    });
}

void Session::consume(const std::uint8_t* data, std::size_t size) {
    heard_ = true;
    while (phase_ != Phase::closed && reader_.state() != FrameReader::State::failed) {
        const std::size_t used = reader_.feed(data, size);
        data += used;
        size -= used;
        switch (reader_.state()) {
            case FrameReader::State::need_more: return;
            case FrameReader::State::failed:
                log_debug("closing a watcher of " + invoice_.hex() + ": " + std::string(reader_.error_reason()));
                if (phase_ == Phase::open) begin_close(reader_.error_code(), reader_.error_reason());
                return;
            case FrameReader::State::control:
                on_control();
                reader_.next();
                break;
        }
    }
    // After a failure, the rest of what the client sends is read and dropped until it closes or time runs out.
}

void Session::on_control() {
    switch (reader_.control_opcode()) {
        case Opcode::ping:
            if (phase_ == Phase::open)
                enqueue(std::make_shared<const std::string>(encode_frame(Opcode::pong, reader_.control_payload())));
            break;
        case Opcode::close:
            peer_closed_ = true;
            if (phase_ == Phase::open) {
                // Answer with the same code; the handshake is complete once the answer is written.
                const std::uint16_t code = reader_.close_code_received();
                begin_close(code, "");
            } else if (writing_.empty() && queue_.empty()) {
                close();  // our close frame went out first: both sides are done
            }
            break;
        default: break;  // pong: heard_ is enough
    }
}

void Session::enqueue(std::shared_ptr<const std::string> frame) {
    if (phase_ == Phase::closed) return;
    queued_bytes_ += frame->size();
    if (queued_bytes_ > hub_.options().max_queued_bytes) {
        log_info("dropping a watcher of " + invoice_.hex() + " that is not reading (" +
                 std::to_string(queued_bytes_) + " bytes queued)");
        metrics::watcher_dropped(metrics::WatcherDrop::slow_reader);
        return close();
    }
    queue_.push_back(std::move(frame));
    flush();
}

void Session::flush() {
    if (phase_ == Phase::closed || !writing_.empty() || queue_.empty()) return;
    writing_.swap(queue_);
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(writing_.size());
    for (const auto& frame : writing_) buffers.emplace_back(asio::buffer(*frame));
    // Usually the socket takes the whole message at once: write it now, which spares each watcher of a payment
    // an asynchronous operation and its completion. What does not fit goes out when the socket can take it.
    // (Over TLS, every write is asynchronous: see transport.hpp.)
    asio::error_code ec;
    std::size_t sent = 0;
    if (!transport_.is_tls()) sent = transport_.socket().write_some(buffers, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
        ec = {};
        sent = 0;
    }
    if (ec) return close();
    if (sent == asio::buffer_size(buffers)) return wrote();
    std::vector<asio::const_buffer> rest;
    for (const auto& b : buffers) {
        if (sent >= b.size()) {
            sent -= b.size();
            continue;
        }
        rest.push_back(b + sent);
        sent = 0;
    }
    write_stalled_ = false;
    asio::async_write(transport_, rest, [self = shared_from_this()](const asio::error_code& e, std::size_t) {
        if (e) return self->close();
        self->wrote();
    });
}

void Session::wrote() {
    for (const auto& frame : writing_) queued_bytes_ -= frame->size();
    writing_.clear();
    write_stalled_ = false;
    if (!queue_.empty()) return flush();
    if (phase_ == Phase::closing) {
        if (peer_closed_) return close();
        // Our close frame is out: say so at the TCP level too, and wait for the peer's close or end.
        transport_.shutdown_send();
    }
}

void Session::begin_close(std::uint16_t code, std::string_view reason) {
    if (phase_ != Phase::open) return;
    phase_ = Phase::closing;
    enqueue(std::make_shared<const std::string>(code == 1005 ? encode_frame(Opcode::close, "")
                                                             : encode_close(code, reason)));
    if (phase_ == Phase::closing) arm_timer(hub_.options().close_timeout);
}

void Session::arm_timer(std::chrono::milliseconds after) {
    timer_.expires_after(after);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
        if (ec || self->timer_.expiry() > std::chrono::steady_clock::now()) return;
        self->on_tick();
    });
}

void Session::on_tick() {
    if (phase_ == Phase::closing) return close();  // the peer did not finish the close handshake in time
    if (phase_ != Phase::open) return;
    if (!writing_.empty()) {
        if (write_stalled_) {
            log_info("dropping a watcher of " + invoice_.hex() + " whose writes stopped progressing");
            metrics::watcher_dropped(metrics::WatcherDrop::stalled_write);
            return close();
        }
        write_stalled_ = true;
    }
    if (!heard_) {
        log_debug("dropping a watcher of " + invoice_.hex() + " that did not answer a ping");
        metrics::watcher_dropped(metrics::WatcherDrop::no_pong);
        return close();
    }
    heard_ = false;
    static const auto ping = std::make_shared<const std::string>(encode_frame(Opcode::ping, ""));
    enqueue(ping);
    arm_timer(hub_.options().ping_interval);
}

void Session::stop_gracefully() { begin_close(close_code::going_away, "the server is shutting down"); }

void Session::close() {
    if (phase_ == Phase::closed) return;
    phase_ = Phase::closed;
    queue_.clear();  // writing_ stays until its write's handler runs: the socket may still read from it
    timer_.cancel();
    transport_.close();
}

}  // namespace jppd::ws
