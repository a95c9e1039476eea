// What the HTTP routes work with: the core's service and the pieces /healthz looks at.
#pragma once

#include <string>

#include <jpp/chain.hpp>
#include <jpp/clock.hpp>
#include <jpp/json.hpp>
#include <jpp/service.hpp>
#include <jpp/store.hpp>

namespace jppd::ws {
class Hub;
}
namespace jppd::paypro {
class ResponseSigner;
}

namespace jppd::api {

class InvoiceCache;

struct ApiContext {
    jpp::InvoiceService& service;
    jpp::InvoiceStore& store;
    jpp::ChainBackend& chain;
    const jpp::Clock& clock;
    std::string public_url;  // absolute, no trailing slash: what payment_url and the payment URI are built on
    bool dev_mode = false;   // payments are recorded without being broadcast
    jpp::JsonLimits json_limits;
    bool open_invoice_creation = false;  // anyone may create invoices; otherwise only a key with invoices:create
    bool webhook_allow_private = false;  // webhook endpoints may be on loopback and private addresses
    ws::Hub* watchers = nullptr;  // the WebSocket watchers of invoices; none: the endpoint answers 404
    const paypro::ResponseSigner* signer = nullptr;  // signs JSON Payment Protocol answers; none: unsigned
    InvoiceCache* invoice_cache = nullptr;  // the public JSON of invoices read lately; none: every GET reads the store

    jpp::JsonContext json_context() const { return {public_url, clock.now()}; }
};

}  // namespace jppd::api
