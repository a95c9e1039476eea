// One client connection: read a request, answer it, repeat while keep-alive holds, within the server's limits.
#pragma once

#include <asio.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "http/request_parser.hpp"
#include "http/stream.hpp"

namespace jppd::http {

class Server;

class Connection final : public Stream, public std::enable_shared_from_this<Connection> {
public:
    Connection(Server& server, asio::ip::tcp::socket socket);
    void start() override;
    asio::any_io_executor executor() override { return socket_.get_executor(); }  // the connection's strand
    // Closes now if waiting for a request, else after the response in flight.
    void stop_gracefully() override;
    void close() override;

private:
    void read();
    void on_read(std::size_t n);
    void process();  // parse what is buffered and act on it
    void dispatch(Request request);
    void respond(Response response);
    void send(std::string bytes, bool close_after);
    void hand_over();  // after a 101: the socket goes to the upgraded stream
    void arm_timer(std::chrono::milliseconds timeout);
    void on_timeout();

    Server& server_;
    asio::ip::tcp::socket socket_;
    asio::steady_timer timer_;
    RequestParser parser_;
    std::vector<char> buffer_;
    std::size_t begin_ = 0, end_ = 0;  // unparsed bytes in buffer_
    std::string out_;
    decltype(Response::upgrade) upgrade_;  // set while a 101 is being written
    std::string remote_;

    // The request being answered, for the log line and the response's framing.
    std::string method_, target_;
    bool keep_alive_ = true;
    std::chrono::steady_clock::time_point started_;

    bool busy_ = false;          // a request is being handled or its response written
    bool reading_ = false;
    bool continue_sent_ = false;
    bool stopping_ = false;
    bool closed_ = false;
};

}  // namespace jppd::http
