// Request ids: every response carries one in X-Request-Id, and the request's log line names it, so that a client's
// report and the operator's log meet. A trusted proxy's id is kept (the proxy's log then names the same request).
#pragma once

#include <string>
#include <string_view>

namespace jppd::http {

// A new id: 16 lower-case hex digits, unique within the process, unpredictable across processes.
std::string make_request_id();

// Whether an id a proxy sent may be adopted: 1-64 of [A-Za-z0-9._:-] (nothing that could forge a log line).
bool acceptable_request_id(std::string_view id);

}  // namespace jppd::http
