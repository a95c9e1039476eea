// One client connection: read a request, answer it, repeat while keep-alive holds, within the server's limits.
#pragma once

#include <asio.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/proxy_protocol.hpp"
#include "http/request_parser.hpp"
#include "http/stream.hpp"
#include "http/transport.hpp"

namespace jppd::http {

class Server;

class Connection final : public Stream, public std::enable_shared_from_this<Connection> {
public:
    // `peer`: the socket's peer address; `from_proxy`: it is a trusted proxy (which, with --proxy-protocol, begins
    // with a PROXY header naming the client).
    Connection(Server& server, Transport transport, const asio::ip::address& peer, bool from_proxy);
    void start() override;
    asio::any_io_executor executor() override { return transport_.get_executor(); }  // the connection's strand
    // Closes now if waiting for a request, else after the response in flight.
    void stop_gracefully() override;
    void close() override;

private:
    void handshake();  // TLS: the server's side of it, once the client's first bytes are there
    void read();
    void process();  // parse what is buffered and act on it
    bool read_proxy_header();  // true once it is read and its client admitted
    void dispatch(Request request);
    void refuse(Response response);  // answer and close, the stream's framing lost or the client refused
    void respond(Response response);
    void log_response(const Response& response) const;  // the request's line in the log
    void send(std::string bytes, bool close_after);
    void hand_over();  // after a 101: the socket goes to the upgraded stream
    // The connection's one deadline (see the README's "Threads"). Moving it later costs nothing: the timer is
    // re-armed only when the deadline comes before its expiry, and a timer that fires early waits again for the
    // rest. That spares a timer operation (and often a timerfd system call) for most of a request's three deadlines.
    void arm_timer(std::chrono::milliseconds timeout);
    void disarm_timer() noexcept { deadline_ = std::chrono::steady_clock::time_point::max(); }
    void wait_timer();
    void on_timeout();

    Server& server_;
    Transport transport_;
    asio::steady_timer timer_;
    std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();  // max: none
    bool timer_waiting_ = false;  // a wait on timer_ is pending
    RequestParser parser_;
    std::vector<char> buffer_;
    std::size_t begin_ = 0, end_ = 0;  // unparsed bytes in buffer_
    std::string out_;
    decltype(Response::upgrade) upgrade_;  // set while a 101 is being written
    std::string remote_;
    asio::ip::address peer_;  // the peer, or the client a PROXY header named
    bool from_proxy_ = false; // peer_ is a trusted proxy: its X-Forwarded-For names the client
    bool proxy_named_peer_ = false;  // peer_ came from a PROXY header, not the socket
    std::optional<ProxyHeaderParser> proxy_header_;  // while a PROXY header is awaited
    std::string client_;  // the current request's client, for the log line, when it is not the peer

    // The request being answered, for the log line and the response's framing.
    std::string method_, target_, request_id_;
    bool keep_alive_ = true;
    std::chrono::steady_clock::time_point started_;

    bool busy_ = false;          // a request is being handled or its response written
    bool in_flight_ = false;     // a request is counted in jppd_http_requests_in_flight
    bool reading_ = false;
    bool continue_sent_ = false;
    bool stopping_ = false;
    bool closed_ = false;
};

}  // namespace jppd::http
