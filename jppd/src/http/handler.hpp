// What the HTTP server asks of the application: a response for each request.
#pragma once

#include "http/message.hpp"

namespace jppd::http {

class Handler {
public:
    virtual ~Handler() = default;

    // Whether handling may block for long (a database write, a call to the node). Such requests run on the
    // worker pool; the others run on the I/O thread that read them, which is faster.
    virtual bool may_block(const Request& request) const = 0;

    // Never throws on bad input (that is a 4xx response); an exception that escapes anyway becomes a 500.
    virtual Response handle(const Request& request) = 0;
};

}  // namespace jppd::http
