// A client connection the server keeps track of: an HTTP connection, or the WebSocket one was upgraded to. The
// server counts streams against its connection limit and stops them on shutdown.
#pragma once

#include <asio/any_io_executor.hpp>

#include "http/client_limits.hpp"

namespace jppd::http {

class Server;

class Stream {
public:
    Stream() = default;
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    virtual ~Stream();  // leaves the server's registry

    // The stream's strand: the three calls below are made there, never concurrently.
    virtual asio::any_io_executor executor() = 0;
    virtual void start() = 0;
    // Shutdown began: finish what is under way (a response, a close handshake), then close.
    virtual void stop_gracefully() = 0;
    // The shutdown deadline passed, or the server is being destroyed: close now.
    virtual void close() = 0;

    // The client's connection count this stream holds (nothing for a trusted proxy's connection), passed on from a
    // connection to the WebSocket it is upgraded to.
    void hold(ClientTable::Lease lease) { client_lease_ = std::move(lease); }
    ClientTable::Lease release_lease() { return std::move(client_lease_); }

private:
    friend class Server;
    Server* server_ = nullptr;  // set when the server adopts the stream
    ClientTable::Lease client_lease_;
};

}  // namespace jppd::http
