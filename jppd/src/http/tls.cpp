#include "http/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <ctime>

namespace jppd::http {

namespace {

constexpr unsigned char alpn_http11[] = "\x08http/1.1";

// The client's ALPN list must offer http/1.1, the one protocol served; a client offering none is served too.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_size, const unsigned char* offered,
                unsigned int offered_size, void*) {
    unsigned char* chosen = nullptr;
    if (SSL_select_next_proto(&chosen, out_size, alpn_http11, sizeof alpn_http11 - 1, offered, offered_size) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;  // no_application_protocol: say so rather than speak the wrong one
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

std::string openssl_reason(const asio::error_code& ec) {
    std::string reason = ec.message();
    ERR_clear_error();
    return reason;
}

std::shared_ptr<asio::ssl::context> make_context(const std::string& cert_file, const std::string& key_file,
                                                 std::string& error) {
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    SSL_CTX* native = context->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // TLS 1.2: ephemeral key exchange and AEAD only (TLS 1.3's suites are all of that kind).
    SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20");
    // An idle connection (a WebSocket watcher, mostly) gives its TLS read and write buffers back.
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_alpn_select_cb(native, select_alpn, nullptr);

    asio::error_code ec;
    context->use_certificate_chain_file(cert_file, ec);
    if (ec) {
        error = "--tls-cert " + cert_file + ": " + openssl_reason(ec);
        return nullptr;
    }
    context->use_private_key_file(key_file, asio::ssl::context::pem, ec);
    if (ec) {
        error = "--tls-key " + key_file + ": " + openssl_reason(ec);
        return nullptr;
    }
    if (SSL_CTX_check_private_key(native) != 1) {
        ERR_clear_error();
        error = "--tls-key " + key_file + " is not the key of the certificate in " + cert_file;
        return nullptr;
    }
    return context;
}

}  // namespace

TlsCertificate::TlsCertificate(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

std::shared_ptr<TlsCertificate> TlsCertificate::load(std::string cert_file, std::string key_file,
                                                     std::string& error) {
    std::shared_ptr<TlsCertificate> tls(new TlsCertificate(std::move(cert_file), std::move(key_file)));
    if (!tls->reload(error)) return nullptr;
    return tls;
}

std::shared_ptr<asio::ssl::context> TlsCertificate::context() const {
    std::lock_guard lock(mutex_);
    return context_;
}

bool TlsCertificate::reload(std::string& error) {
    auto fresh = make_context(cert_file_, key_file_, error);
    if (!fresh) return false;
    std::lock_guard lock(mutex_);
    context_ = std::move(fresh);
    return true;
}

std::chrono::system_clock::time_point TlsCertificate::not_after() const {
    const auto context = this->context();
    const X509* cert = SSL_CTX_get0_certificate(context->native_handle());
    std::tm tm{};
    if (cert == nullptr || ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return {};
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string TlsCertificate::describe() const {
    const auto context = this->context();
    const X509* cert = SSL_CTX_get0_certificate(context->native_handle());
    std::string subject = "?";
    if (cert != nullptr) {
        char buffer[256];
        X509_NAME_oneline(X509_get_subject_name(cert), buffer, sizeof buffer);
        subject = buffer;
    }
    const std::time_t expires = std::chrono::system_clock::to_time_t(not_after());
    std::tm tm{};
    gmtime_r(&expires, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return subject + ", expires " + stamp;
}

}  // namespace jppd::http
