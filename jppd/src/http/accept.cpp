#include "http/accept.hpp"

#include <cctype>
#include <string>

namespace jppd::http {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// "q=0.5" -> 500; a malformed value counts as 1 (lenient, as browsers' own parsers are).
int quality(std::string_view params) {
    while (!params.empty()) {
        const auto semi = params.find(';');
        const std::string_view param = trim(params.substr(0, semi));
        if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
            const std::string_view v = param.substr(2);
            if (v.empty() || (v[0] != '0' && v[0] != '1')) return 1000;
            int q = (v[0] - '0') * 1000;
            int scale = 100;
            for (std::size_t i = 2; i < v.size() && i < 5 && v[1] == '.'; ++i, scale /= 10) {
                if (!std::isdigit(static_cast<unsigned char>(v[i]))) return 1000;
                q += (v[i] - '0') * scale;
            }
            return q > 1000 ? 1000 : q;
        }
        if (semi == std::string_view::npos) break;
        params.remove_prefix(semi + 1);
    }
    return 1000;
}

}  // namespace

std::optional<std::size_t> negotiate(std::string_view accept, const std::vector<std::string_view>& offered) {
    if (offered.empty()) return std::nullopt;
    if (trim(accept).empty()) return 0;
    // For each offered type: the quality and specificity (2 exact, 1 type/*, 0 */*) of its best-matching range.
    std::vector<int> q(offered.size(), -1), specificity(offered.size(), -1);
    while (!accept.empty()) {
        const auto comma = accept.find(',');
        const std::string_view item = trim(accept.substr(0, comma));
        const auto semi = item.find(';');
        const std::string range = lower(trim(item.substr(0, semi)));
        const int item_q = semi == std::string_view::npos ? 1000 : quality(item.substr(semi + 1));
        const auto slash = range.find('/');
        if (slash != std::string::npos) {
            const std::string_view type = std::string_view(range).substr(0, slash);
            const std::string_view subtype = std::string_view(range).substr(slash + 1);
            for (std::size_t i = 0; i < offered.size(); ++i) {
                const std::string_view o = offered[i];
                int s = -1;
                if (type == "*" && subtype == "*") s = 0;
                else if (subtype == "*" && o.substr(0, o.find('/')) == type) s = 1;
                else if (o == range) s = 2;
                if (s > specificity[i]) {
                    specificity[i] = s;
                    q[i] = item_q;
                }
            }
        }
        if (comma == std::string_view::npos) break;
        accept.remove_prefix(comma + 1);
    }
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < offered.size(); ++i) {
        if (q[i] <= 0) continue;
        if (!best || q[i] > q[*best] || (q[i] == q[*best] && specificity[i] > specificity[*best])) best = i;
    }
    return best;
}

}  // namespace jppd::http
