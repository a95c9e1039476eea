#include "http/connection.hpp"

#include <cstring>
#include <exception>

#include "http/server.hpp"
#include "log.hpp"

namespace jppd::http {

namespace {

std::string_view parser_error_code(int status) {
    switch (status) {
        case 413: return "body_too_large";
        case 417: return "expectation_failed";
        case 431: return "headers_too_large";
        case 505: return "http_version_not_supported";
        default: return "malformed_request";
    }
}

constexpr std::size_t buffer_size = 8 * 1024;

}  // namespace

Connection::Connection(Server& server, asio::ip::tcp::socket socket)
    : server_(server),
      socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      parser_(server.options_.limits),
      buffer_(buffer_size) {
    asio::error_code ec;
    const auto endpoint = socket_.remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

void Connection::start() {
    if (closed_) return;  // shut down between accept and start
    arm_timer(server_.options_.idle_timeout);
    read();
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
    socket_.async_read_some(asio::buffer(buffer_.data() + end_, buffer_.size() - end_),
                            [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                                self->reading_ = false;
                                if (ec) return self->close();
                                self->end_ += n;
                                self->process();
                            });
}

void Connection::process() {
    if (closed_ || busy_) return;
    const bool was_started = parser_.started();
    while (begin_ < end_ && parser_.state() == RequestParser::State::need_more) {
        const std::size_t used = parser_.feed(buffer_.data() + begin_, end_ - begin_);
        begin_ += used;
        if (used == 0) break;
    }
    switch (parser_.state()) {
        case RequestParser::State::failed: {
            method_ = "-";
            target_ = "-";
            keep_alive_ = false;
            started_ = std::chrono::steady_clock::now();
            busy_ = true;
            Response r = json_error(parser_.error_status(), parser_error_code(parser_.error_status()),
                                    parser_.error_message());
            r.close = true;  // the stream's framing is lost
            return respond(std::move(r));
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
        asio::async_write(socket_, asio::buffer(interim.data(), interim.size()),
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
    timer_.cancel();  // handling time is bounded by the handler (the node client has its own timeout)
    method_ = request.method;
    target_ = request.target;
    keep_alive_ = request.keep_alive;
    started_ = std::chrono::steady_clock::now();
    request.remote = remote_;

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
        asio::post(self->socket_.get_executor(), [self, response = std::move(response)]() mutable {
            self->respond(std::move(response));
        });
    });
}

void Connection::respond(Response response) {
    if (closed_) return;
    if (response.upgrade && (stopping_ || server_.stopping_))
        response = json_error(503, "shutting_down", "the server is shutting down");
    const bool close_after = !response.upgrade && (response.close || !keep_alive_ || stopping_ || server_.stopping_);
    upgrade_ = std::move(response.upgrade);
    if (log_enabled(LogLevel::info)) {
        const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - started_).count();
        char took[32];
        std::snprintf(took, sizeof took, "%.3fms", static_cast<double>(micros) / 1000.0);
        log_info(method_ + " " + target_ + " " + std::to_string(response.status) + " " +
                 std::to_string(response.body.size()) + "B " + took + " " + remote_);
    }
    send(serialize(response, !close_after, method_ == "HEAD"), close_after);
}

void Connection::send(std::string bytes, bool close_after) {
    out_ = std::move(bytes);
    arm_timer(server_.options_.request_timeout);
    asio::async_write(socket_, asio::buffer(out_),
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
    if (server_.stopping_) return close();
    closed_ = true;
    timer_.cancel();
    std::string already_read(buffer_.data() + begin_, end_ - begin_);
    auto upgrade = std::move(upgrade_);
    server_.adopt(upgrade(std::move(socket_), std::move(already_read)));
}

void Connection::arm_timer(std::chrono::milliseconds timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
        // A wait that completed just before being re-armed still runs: only a passed deadline counts.
        if (ec || self->timer_.expiry() > std::chrono::steady_clock::now()) return;
        self->on_timeout();
    });
}

void Connection::on_timeout() {
    if (closed_) return;
    if (busy_ || !parser_.started()) return close();  // a stalled write, or an idle keep-alive connection
    method_ = "-";
    target_ = "-";
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
    asio::error_code ec;
    timer_.cancel();
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
}

}  // namespace jppd::http
