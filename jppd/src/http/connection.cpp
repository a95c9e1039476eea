#include "http/connection.hpp"

#include <atomic>
#include <cstring>
#include <exception>

#include "http/request_id.hpp"
#include "http/server.hpp"
#include "log.hpp"
#include "metrics/metrics.hpp"

namespace jppd::http {

namespace {

std::string_view parser_error_code(int status) {
    switch (status) {
        case 413: return "body_too_large";
        case 417: return "expectation_failed";
        case 431: return "headers_too_large";
        case 503: return "server_busy";
        case 505: return "http_version_not_supported";
        default: return "malformed_request";
    }
}

constexpr std::size_t buffer_size = 8 * 1024;

}  // namespace

Connection::Connection(Server& server, Transport transport, const asio::ip::address& peer, bool from_proxy)
    : server_(server),
      transport_(std::move(transport)),
      timer_(transport_.get_executor()),
      parser_(server.options_.limits, &server.body_budget_),
      buffer_(buffer_size),
      peer_(peer),
      from_proxy_(from_proxy) {
    asio::error_code ec;
    const auto endpoint = transport_.socket().remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    if (from_proxy && server.options_.proxy_protocol) proxy_header_.emplace();
}

void Connection::start() {
    if (closed_) return;  // shut down between accept and start
    if (!transport_.is_tls()) {
        arm_timer(server_.options_.idle_timeout);
        return read();
    }
    // The handshake, like a request, must be over in time: a client that connects and stalls is cut off.
    arm_timer(server_.options_.request_timeout);
    transport_.socket().async_wait(asio::socket_base::wait_read,
                                   [self = shared_from_this()](const asio::error_code& ec) {
                                       if (ec) return self->close();
                                       self->handshake();
                                   });
}

void Connection::handshake() {
    if (closed_) return;
    // A TLS connection begins with a handshake record (content type 22). Anything else is most likely plain
    // HTTP sent to the TLS port: say so in plain HTTP, which that client can read.
    unsigned char first = 0;
    asio::error_code ec;
    const std::size_t n = transport_.socket().receive(asio::buffer(&first, 1), asio::socket_base::message_peek, ec);
    if (ec || n == 0) return close();
    if (first != 0x16) {
        // Made for each refusal, like every response: its own X-Request-Id and the current Date.
        const std::string id = make_request_id();
        const std::string answer = serialize(
            json_error(400, "https_required", "this port speaks HTTPS: use https:// (or wss://) to reach it")
                .with_header("X-Request-Id", id),
            false, false);
        log_debug("plain HTTP from " + remote_ + " on the TLS port: answered 400 and closed, id " + id);
        closed_ = true;
        timer_.cancel();
        server_.refuse(std::move(transport_.socket()), answer);
        return;
    }
    transport_.async_handshake([self = shared_from_this()](const asio::error_code& e) {
        if (e) {
            log_debug("TLS handshake with " + self->remote_ + " failed: " + e.message());
            return self->close();
        }
        if (self->closed_) return;
        self->arm_timer(self->server_.options_.idle_timeout);
        self->read();
    });
}

void Connection::read() {
    if (closed_ || reading_) return;
    if (begin_ == end_) {
        begin_ = end_ = 0;
    } else if (begin_ > 0) {
        std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    reading_ = true;
    transport_.async_read_some(asio::buffer(buffer_.data() + end_, buffer_.size() - end_),
                            [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                                self->reading_ = false;
                                if (ec) return self->close();
                                self->end_ += n;
                                self->process();
                            });
}

bool Connection::read_proxy_header() {
    begin_ += proxy_header_->feed(buffer_.data() + begin_, end_ - begin_);
    switch (proxy_header_->state()) {
        case ProxyHeaderParser::State::need_more:
            if (stopping_) close();
            else read();
            return false;
        case ProxyHeaderParser::State::failed:
            log_info("closing a connection from the proxy " + remote_ + ": " + proxy_header_->error());
            refuse(json_error(400, "malformed_request", proxy_header_->error()));
            return false;
        case ProxyHeaderParser::State::done:
            break;
    }
    if (const auto& source = proxy_header_->source()) {
        peer_ = *source;
        proxy_named_peer_ = true;
        from_proxy_ = server_.options_.trusted_proxies.contains(peer_);
        if (!from_proxy_) {
            auto lease = server_.clients_.open_connection(peer_);
            if (!lease) {
                client_ = peer_.to_string();
                refuse(json_error(429, "too_many_client_connections",
                                  "this client holds as many connections as one client may; close one first")
                           .with_header("Retry-After", "1"));
                return false;
            }
            hold(std::move(*lease));
        }
    }
    proxy_header_.reset();
    return true;
}

void Connection::refuse(Response response) {
    method_ = "-";
    target_ = "-";
    request_id_ = make_request_id();
    keep_alive_ = false;
    started_ = std::chrono::steady_clock::now();
    busy_ = true;
    response.close = true;
    respond(std::move(response));
}

void Connection::process() {
    if (closed_ || busy_) return;
    if (proxy_header_ && !read_proxy_header()) return;
    const bool was_started = parser_.started();
    while (begin_ < end_ && parser_.state() == RequestParser::State::need_more) {
        const std::size_t used = parser_.feed(buffer_.data() + begin_, end_ - begin_);
        begin_ += used;
        if (used == 0) break;
    }
    switch (parser_.state()) {
        case RequestParser::State::failed: {
            Response r = json_error(parser_.error_status(), parser_error_code(parser_.error_status()),
                                    parser_.error_message());
            if (parser_.error_status() == 503) r.with_header("Retry-After", "1");
            return refuse(std::move(r));  // the stream's framing is lost
        }
        case RequestParser::State::complete:
            return dispatch(parser_.take());
        case RequestParser::State::need_more:
            break;
    }
    // The request's clock starts with its first byte and is not reset by later ones.
    if (parser_.started() && !was_started) arm_timer(server_.options_.request_timeout);
    if (stopping_ && !parser_.started()) return close();
    if (parser_.wants_continue() && !continue_sent_) {
        continue_sent_ = true;
        static constexpr std::string_view interim = "HTTP/1.1 100 Continue\r\n\r\n";
        asio::async_write(transport_, asio::buffer(interim.data(), interim.size()),
                          [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                              if (ec) return self->close();
                              self->read();
                          });
        return;
    }
    read();
}

void Connection::dispatch(Request request) {
    busy_ = true;
    continue_sent_ = false;
    disarm_timer();  // handling time is bounded by the handler (the node client has its own timeout)
    method_ = request.method;
    target_ = request.target;
    keep_alive_ = request.keep_alive;
    started_ = std::chrono::steady_clock::now();
    in_flight_ = true;
    metrics::http_request_started();
    request.remote = remote_;
    request.client = from_proxy_ ? forwarded_client(peer_, request, server_.options_.trusted_proxies) : peer_;
    const std::string_view proxy_id = from_proxy_ ? request.header("x-request-id") : std::string_view();
    request.id = acceptable_request_id(proxy_id) ? std::string(proxy_id) : make_request_id();
    request_id_ = request.id;
    client_.clear();
    if (request.client != peer_ || proxy_named_peer_) client_ = request.client.to_string();
    if (!from_proxy_ && request.header_count("x-forwarded-for") > 0) {
        static std::atomic<bool> told{false};
        if (!told.exchange(true))
            log_warn("ignoring X-Forwarded-For from " + peer_.to_string() + ", which is not a --trusted-proxy: if "
                     "jppd is behind a proxy there, name it, or every client of the proxy counts as one (said once)");
    }

    // Per-client rate, then Host: both before any handler (WebSocket upgrades included).
    std::chrono::seconds retry_after{};
    if (!server_.clients_.admit_request(request.client, started_, retry_after)) {
        const auto seconds = std::to_string(retry_after.count());
        return respond(json_error(429, "rate_limited",
                                  "too many requests from this client; retry in " + seconds + " s")
                           .with_header("Retry-After", seconds));
    }
    if (auto refused = server_.hosts_.check(request)) return respond(std::move(*refused));

    auto handle = [this](const Request& r) {
        try {
            return server_.handler_.handle(r);
        } catch (const std::exception& e) {
            log_error("handler failed on " + r.method + " " + r.target + ": " + e.what());
        } catch (...) {
            log_error("handler failed on " + r.method + " " + r.target);
        }
        return json_error(500, "internal_error", "the server failed to handle the request");
    };
    if (!server_.handler_.may_block(request)) return respond(handle(request));
    asio::post(server_.workers_, [self = shared_from_this(), handle, request = std::move(request)]() mutable {
        Response response = handle(request);
        asio::post(self->transport_.get_executor(), [self, response = std::move(response)]() mutable {
            self->respond(std::move(response));
        });
    });
}

void Connection::respond(Response response) {
    if (closed_) return;
    if (response.upgrade && (stopping_ || server_.stopping_))
        response = json_error(503, "shutting_down", "the server is shutting down").with_header("Retry-After", "5");
    const bool close_after = !response.upgrade && (response.close || !keep_alive_ || stopping_ || server_.stopping_);
    upgrade_ = std::move(response.upgrade);
    response.with_header("X-Request-Id", request_id_);
    if (in_flight_) {
        in_flight_ = false;
        metrics::http_request_finished();
    }
    metrics::http_response(response.route, response.status, std::chrono::steady_clock::now() - started_);
    if (log_enabled(LogLevel::info)) log_response(response);
    send(serialize(response, !close_after, method_ == "HEAD"), close_after);
}

void Connection::log_response(const Response& response) const {
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_).count();
    char took[32];
    std::snprintf(took, sizeof took, "%.3f", static_cast<double>(micros) / 1000.0);
    const std::string status = std::to_string(response.status);
    const std::string bytes = std::to_string(response.body.size());
    std::string line;
    line.reserve(64 + method_.size() + target_.size() + remote_.size() + client_.size() + request_id_.size());
    line.append(method_).append(" ").append(target_).append(" ").append(status).append(" ").append(bytes);
    line.append("B ").append(took).append("ms ").append(remote_);
    if (!client_.empty()) line.append(" client ").append(client_);
    line.append(" id ").append(request_id_);
    log_soon(LogLevel::info, line,
             {{"method", method_}, {"target", target_}, {"status", status, true}, {"bytes", bytes, true},
              {"duration_ms", took, true}, {"remote", remote_}, {"client", client_.empty() ? remote_ : client_},
              {"request_id", request_id_}});
}

void Connection::send(std::string bytes, bool close_after) {
    out_ = std::move(bytes);
    arm_timer(server_.options_.request_timeout);
    asio::async_write(transport_, asio::buffer(out_),
                      [self = shared_from_this(), close_after](const asio::error_code& ec, std::size_t) {
                          if (ec || close_after) return self->close();
                          if (self->upgrade_) return self->hand_over();
                          self->busy_ = false;
                          if (self->out_.capacity() > 64 * 1024) std::string().swap(self->out_);
                          else self->out_.clear();
                          self->arm_timer(self->server_.options_.idle_timeout);
                          self->process();  // a pipelined request may already be buffered
                      });
}

void Connection::hand_over() {
    closed_ = true;
    timer_.cancel();
    std::string already_read(buffer_.data() + begin_, end_ - begin_);
    auto upgrade = std::move(upgrade_);
    auto stream = upgrade(std::move(transport_), std::move(already_read));
    stream->hold(release_lease());  // the WebSocket is still the client's connection
    server_.adopt(stream);
    // Shutdown began while the 101 was on its way: the client was promised a WebSocket, so it gets one that says
    // goodbye (close 1001), rather than a connection dropped without a word.
    if (stopping_ || server_.stopping_) asio::dispatch(stream->executor(), [stream] { stream->stop_gracefully(); });
}

void Connection::arm_timer(std::chrono::milliseconds timeout) {
    deadline_ = std::chrono::steady_clock::now() + timeout;
    if (timer_waiting_ && timer_.expiry() <= deadline_) return;  // the pending wait finds the later deadline
    wait_timer();
}

void Connection::wait_timer() {
    timer_.expires_at(deadline_);  // cancels a pending wait, whose handler then returns at once
    timer_waiting_ = true;
    timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
        if (ec == asio::error::operation_aborted) return;  // re-armed (another wait is pending) or closed
        self->timer_waiting_ = false;
        if (self->closed_ || self->deadline_ == std::chrono::steady_clock::time_point::max()) return;
        if (std::chrono::steady_clock::now() < self->deadline_) return self->wait_timer();  // moved later
        self->on_timeout();
    });
}

void Connection::on_timeout() {
    if (closed_) return;
    if (busy_ || !parser_.started()) return close();  // a stalled write, or an idle keep-alive connection
    method_ = "-";
    target_ = "-";
    request_id_ = make_request_id();
    keep_alive_ = false;
    busy_ = true;
    Response r = json_error(408, "request_timeout", "the request did not arrive in time");
    r.close = true;
    respond(std::move(r));
}

void Connection::stop_gracefully() {
    stopping_ = true;
    if (!busy_ && !parser_.started()) close();
}

void Connection::close() {
    if (closed_) return;
    closed_ = true;
    if (in_flight_) {  // its response will never be written
        in_flight_ = false;
        metrics::http_request_finished();
    }
    timer_.cancel();
    transport_.close();
}

}  // namespace jppd::http
