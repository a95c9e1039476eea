#include "api/invoice_page.hpp"

#include <jpp/json.hpp>

#include "api/qr_code.hpp"

namespace jppd::api {

namespace {

std::string escape_html(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

// JSON inside <script type="application/json">: "<" may not appear raw, or "</script>" in a memo would end it.
std::string escape_script_json(std::string_view json) {
    std::string out;
    out.reserve(json.size());
    for (const char c : json) {
        if (c == '<') out += "\\u003c";
        else out += c;
    }
    return out;
}

std::string group_thousands(std::int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n);
    for (std::size_t i = digits.size(); i > 3; i -= 3) digits.insert(i - 3, ",");
    return (n < 0 ? "-" : "") + digits;
}

// The page's look: one card, centered; the QR code beside the details on wide screens, above them on phones.
constexpr std::string_view style = R"css(
:root{--bg:#f3f5f7;--card:#fff;--ink:#14202b;--muted:#5b6b79;--line:#e2e7ec;--accent:#0ac18e;--warn:#c2410c;
--open:#1d4ed8;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
@media (prefers-color-scheme:dark){:root{--bg:#0e1419;--card:#17212a;--ink:#e8eef3;--muted:#97a6b3;
--line:#26323d;--open:#7aa2ff}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);min-height:100vh;display:flex;align-items:center;
justify-content:center;padding:16px}
main{background:var(--card);border-radius:16px;box-shadow:0 8px 30px rgba(0,0,0,.08);width:100%;max-width:820px;
padding:24px;display:grid;gap:24px}
@media (min-width:720px){main{grid-template-columns:300px 1fr;padding:32px}}
.qr{display:block;background:#fff;border-radius:12px;padding:8px;border:1px solid var(--line);max-width:300px;
margin:0 auto}
.qr svg{display:block;width:100%;height:auto}
.paid .qr,.expired .qr{opacity:.15;pointer-events:none}
h1{font-size:15px;font-weight:600;color:var(--muted);margin:0 0 4px;text-transform:uppercase;letter-spacing:.06em}
.amount{font-size:clamp(26px,8vw,34px);font-weight:700;margin:0;overflow-wrap:anywhere}
.amount span{white-space:nowrap}
.sats{color:var(--muted);margin:2px 0 16px}
.memo{font-size:17px;margin:0 0 16px;overflow-wrap:anywhere}
.status{display:inline-flex;align-items:center;gap:8px;font-weight:600;padding:6px 12px;border-radius:999px;
background:rgba(29,78,216,.1);color:var(--open)}
.status::before{content:"";width:8px;height:8px;border-radius:50%;background:currentColor}
.paid .status{background:rgba(10,193,142,.14);color:var(--accent)}
.expired .status{background:rgba(194,65,12,.12);color:var(--warn)}
.countdown{margin-left:10px;color:var(--muted);font-variant-numeric:tabular-nums}
.actions{display:flex;flex-wrap:wrap;gap:10px;margin:20px 0}
.button{flex:1 1 160px;text-align:center;padding:12px 16px;border-radius:10px;font-weight:600;font-size:15px;
text-decoration:none;border:1px solid var(--line);background:transparent;color:var(--ink);cursor:pointer}
.button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
.paid .actions,.expired .actions{display:none}
dl{margin:20px 0 0;display:grid;grid-template-columns:auto 1fr;gap:6px 14px;font-size:14px}
dt{color:var(--muted)}
dd{margin:0;overflow-wrap:anywhere;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
.outputs{margin:16px 0 0;padding:0;list-style:none;border-top:1px solid var(--line)}
.outputs li{padding:10px 0;border-bottom:1px solid var(--line);font-size:14px}
.outputs .addr{display:block;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;
color:var(--muted);overflow-wrap:anywhere}
.txid{display:none}
.paid .txid{display:contents}
.connection{font-size:12px;color:var(--muted);margin-top:12px}
)css";

// Counts down to expiry on the server's clock and listens on the invoice's WebSocket; reconnects after a drop
// (a watcher that connects after the payment is told at once, so nothing is missed).
constexpr std::string_view script = R"js(
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("invoice-data").textContent);
  var page = document.documentElement;
  var statusEl = document.getElementById("status");
  var countdownEl = document.getElementById("countdown");
  var connectionEl = document.getElementById("connection");
  var skew = Date.parse(data.server_time) - Date.now();
  var expires = Date.parse(data.invoice.expires);
  var state = data.invoice.status;
  var timer = null;

  function show(newState, detail) {
    state = newState;
    page.className = newState;
    page.dataset.status = newState;
    statusEl.textContent = newState === "paid" ? "Paid" : newState === "expired" ? "Expired" : "Awaiting payment";
    if (newState !== "open") countdownEl.textContent = "";
    if (detail && detail.txid) document.getElementById("txid").textContent = detail.txid;
    if (detail && detail.paid_at) document.getElementById("paid-at").textContent = detail.paid_at;
  }

  function tick() {
    if (state !== "open") return;
    var left = Math.max(0, Math.floor((expires - (Date.now() + skew)) / 1000));
    if (left === 0) { show("expired"); return; }
    var h = Math.floor(left / 3600), m = Math.floor(left / 60) % 60, s = left % 60;
    countdownEl.textContent = "expires in " + (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" +
        String(s).padStart(2, "0");
  }

  var retry = 500;
  function connect() {
    if (state === "paid") return;
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + data.ws_path);
    ws.onopen = function () { retry = 500; connectionEl.textContent = "Live: this page updates by itself."; };
    ws.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === "payment_received") {
        show("paid", message);
        ws.close();
      } else if (message.type === "invoice_expired" && state !== "paid") {
        show("expired");
      }
    };
    ws.onclose = function () {
      if (state === "paid") { connectionEl.textContent = ""; return; }
      connectionEl.textContent = "Reconnecting\u2026";
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }

  document.getElementById("copy").addEventListener("click", function () {
    var button = this;
    navigator.clipboard.writeText(data.invoice.payment_uri).then(function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy payment link"; }, 1500);
    });
  });

  show(state, data.invoice.payment);
  tick();
  timer = setInterval(tick, 1000);
  connect();
})();
)js";

}  // namespace

std::string format_bch(std::int64_t satoshis) {
    const bool negative = satoshis < 0;
    const auto magnitude = static_cast<std::uint64_t>(negative ? -(satoshis + 1) : satoshis) + (negative ? 1 : 0);
    std::string out = (negative ? "-" : "") + std::to_string(magnitude / 100000000);
    std::string fraction = std::to_string(magnitude % 100000000);
    fraction.insert(0, 8 - fraction.size(), '0');
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    if (!fraction.empty()) out += "." + fraction;
    return out;
}

http::Response invoice_page(const ApiContext& api, const jpp::Invoice& invoice) {
    const jpp::JsonContext context = api.json_context();
    const std::string uri = jpp::payment_uri(context, invoice);
    const std::string status(jpp::invoice_status_name(invoice.status_at(context.now)));
    const std::string total = format_bch(invoice.total_amount());

    std::string html;
    html.reserve(16 * 1024);
    html += "<!doctype html>\n<html lang=\"en\" class=\"" + status + "\" data-status=\"" + status +
            "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            "<meta name=\"robots\" content=\"noindex\"><title>Invoice: " + total + " BCH</title><style>";
    html += style;
    html += "</style></head><body><main><div><a class=\"qr\" href=\"" + escape_html(uri) + "\">" + qr_code_svg(uri) +
            "</a></div><div><h1>Payment request</h1><p class=\"amount\">" + total + "&nbsp;<span>BCH</span></p><p class=\"sats\">" +
            group_thousands(invoice.total_amount()) + " sat</p>";
    if (!invoice.memo.empty()) html += "<p class=\"memo\">" + escape_html(invoice.memo) + "</p>";
    html += "<div><span class=\"status\" id=\"status\" role=\"status\" aria-live=\"polite\">Awaiting payment</span>"
            "<span class=\"countdown\" id=\"countdown\"></span></div>"
            "<div class=\"actions\"><a class=\"button primary\" href=\"" + escape_html(uri) +
            "\">Open in wallet</a><button class=\"button\" id=\"copy\" type=\"button\">Copy payment link</button></div>"
            "<dl><dt>Invoice</dt><dd>" + invoice.id.hex() + "</dd><dt>Network</dt><dd>" +
            std::string(jpp::network_name(invoice.network)) + "</dd><dt>Created</dt><dd>" +
            jpp::to_rfc3339(invoice.time) + "</dd><dt>Expires</dt><dd>" + jpp::to_rfc3339(invoice.expires) +
            "</dd><div class=\"txid\"><dt>Paid</dt><dd id=\"paid-at\"></dd><dt>Transaction</dt><dd id=\"txid\"></dd>"
            "</div></dl><ul class=\"outputs\">";
    for (const jpp::InvoiceOutput& o : invoice.outputs) {
        html += "<li>" + format_bch(o.amount) + " BCH";
        if (!o.description.empty()) html += " \xE2\x80\x94 " + escape_html(o.description);
        if (o.token) {
            html += " + token " + jpp::to_display_hex(o.token->category).substr(0, 12) + "\xE2\x80\xA6";
            if (o.token->amount > 0) html += " \xC3\x97" + std::to_string(o.token->amount);
            if (o.token->nft) html += " (NFT)";
        }
        html += "<span class=\"addr\">" + escape_html(o.address) + "</span></li>";
    }
    html += "</ul><p class=\"connection\" id=\"connection\"></p></div></main>"
            "<script id=\"invoice-data\" type=\"application/json\">{\"server_time\":\"" +
            jpp::to_rfc3339(context.now) + "\",\"ws_path\":\"/ws/jpp/invoice/" + invoice.id.hex() +
            "/?events=all\",\"invoice\":" + escape_script_json(jpp::invoice_to_json(invoice, context)) + "}</script><script>";
    html += script;
    html += "</script></body></html>\n";

    http::Response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::move(html);
    r.with_header("Cache-Control", "no-store");
    r.with_header("X-Content-Type-Options", "nosniff");
    r.with_header("Referrer-Policy", "no-referrer");
    r.with_header("Content-Security-Policy",
                  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
                  "connect-src 'self'; base-uri 'none'; form-action 'none'");
    return r;
}

}  // namespace jppd::api
