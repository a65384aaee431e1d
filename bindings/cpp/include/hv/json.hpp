// agent-hypervisor C++ wrapper: a few read-only JSON helpers.
//
// The wrapper speaks JSON strings in and out and depends on no JSON library. These helpers
// cover what a host usually needs without one: pull a field out of a response by a dotted
// path (`"participants.0.ring"`), decode a string value, and quote a string for a request.
// They are lenient readers for well-formed engine output, not validators; use a real JSON
// library for anything more.
#ifndef HV_JSON_HPP
#define HV_JSON_HPP

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace hv {
namespace json {

namespace detail {

inline std::size_t skip_ws(std::string_view s, std::size_t i) noexcept {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    return i;
}

// Index one past the string literal starting at s[i] == '"', or npos.
inline std::size_t skip_string(std::string_view s, std::size_t i) noexcept {
    for (++i; i < s.size(); ++i) {
        if (s[i] == '\\') {
            ++i;
        } else if (s[i] == '"') {
            return i + 1;
        }
    }
    return std::string_view::npos;
}

// Index one past the value starting at s[i] (after whitespace), or npos when malformed.
inline std::size_t skip_value(std::string_view s, std::size_t i) noexcept {
    i = skip_ws(s, i);
    if (i >= s.size()) return std::string_view::npos;
    if (s[i] == '"') return skip_string(s, i);
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        for (; i < s.size(); ++i) {
            const char c = s[i];
            if (c == '"') {
                i = skip_string(s, i);
                if (i == std::string_view::npos) return i;
                --i;
            } else if (c == '{' || c == '[') {
                ++depth;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) return i + 1;
            }
        }
        return std::string_view::npos;
    }
    // number, true, false, null
    std::size_t j = i;
    while (j < s.size() && s[j] != ',' && s[j] != '}' && s[j] != ']' && s[j] != ' ' &&
           s[j] != '\n' && s[j] != '\r' && s[j] != '\t')
        ++j;
    return j == i ? std::string_view::npos : j;
}

inline void put_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

inline std::optional<std::uint32_t> hex4(std::string_view s, std::size_t i) noexcept {
    if (i + 4 > s.size()) return std::nullopt;
    std::uint32_t v = 0;
    for (std::size_t k = i; k < i + 4; ++k) {
        const char c = s[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
        else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
        else return std::nullopt;
    }
    return v;
}

}  // namespace detail

/// Decodes a JSON string literal (with its quotes); nullopt when `raw` is not one.
inline std::optional<std::string> decode_string(std::string_view raw) {
    raw = raw.substr(detail::skip_ws(raw, 0));
    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n')) raw.remove_suffix(1);
    if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return std::nullopt;
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 1; i + 1 < raw.size(); ++i) {
        const char c = raw[i];
        if (c != '\\') {
            out += c;
            continue;
        }
        if (++i >= raw.size() - 1) return std::nullopt;
        switch (raw[i]) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                auto cp = detail::hex4(raw, i + 1);
                if (!cp) return std::nullopt;
                i += 4;
                if (*cp >= 0xD800 && *cp < 0xDC00 && i + 6 < raw.size() && raw[i + 1] == '\\' &&
                    raw[i + 2] == 'u') {
                    auto lo = detail::hex4(raw, i + 3);
                    if (lo && *lo >= 0xDC00 && *lo < 0xE000) {
                        *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*lo - 0xDC00);
                        i += 6;
                    }
                }
                detail::put_utf8(out, *cp);
                break;
            }
            default: return std::nullopt;
        }
    }
    return out;
}

/// Quotes `s` as a JSON string literal, e.g. `quote("a\"b")` → `"a\"b"` with quotes.
inline std::string quote(std::string_view s) {
    static const char* const hex = "0123456789abcdef";
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 0xF];
                } else {
                    out += ch;
                }
        }
    }
    out += '"';
    return out;
}

/// The raw JSON text of the value at `path` in `doc`: dot-separated object keys and array
/// indices (`"verification.status"`, `"participants.1.agent_did"`); an empty path is the
/// whole document. nullopt when any component is missing.
inline std::optional<std::string> get(std::string_view doc, std::string_view path) {
    std::string_view cur = doc;
    std::size_t start = detail::skip_ws(cur, 0);
    std::size_t end = detail::skip_value(cur, start);
    if (end == std::string_view::npos) return std::nullopt;
    cur = cur.substr(start, end - start);
    while (!path.empty()) {
        const std::size_t dot = path.find('.');
        const std::string_view key = path.substr(0, dot);
        path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
        std::optional<std::string_view> next;
        if (cur.front() == '{') {
            std::size_t i = detail::skip_ws(cur, 1);
            while (i < cur.size() && cur[i] == '"') {
                const std::size_t kend = detail::skip_string(cur, i);
                if (kend == std::string_view::npos) return std::nullopt;
                const auto name = decode_string(cur.substr(i, kend - i));
                i = detail::skip_ws(cur, kend);
                if (i >= cur.size() || cur[i] != ':') return std::nullopt;
                const std::size_t vstart = detail::skip_ws(cur, i + 1);
                const std::size_t vend = detail::skip_value(cur, vstart);
                if (vend == std::string_view::npos) return std::nullopt;
                if (name && *name == key) {
                    next = cur.substr(vstart, vend - vstart);
                    break;
                }
                i = detail::skip_ws(cur, vend);
                if (i < cur.size() && cur[i] == ',') i = detail::skip_ws(cur, i + 1);
            }
        } else if (cur.front() == '[') {
            char* stop = nullptr;
            const std::string idx_text(key);
            const unsigned long idx = std::strtoul(idx_text.c_str(), &stop, 10);
            if (idx_text.empty() || *stop != '\0') return std::nullopt;
            std::size_t i = detail::skip_ws(cur, 1);
            for (unsigned long n = 0; i < cur.size() && cur[i] != ']'; ++n) {
                const std::size_t vend = detail::skip_value(cur, i);
                if (vend == std::string_view::npos) return std::nullopt;
                if (n == idx) {
                    next = cur.substr(i, vend - i);
                    break;
                }
                i = detail::skip_ws(cur, vend);
                if (i < cur.size() && cur[i] == ',') i = detail::skip_ws(cur, i + 1);
            }
        }
        if (!next) return std::nullopt;
        cur = *next;
    }
    return std::string(cur);
}

/// The string at `path`, decoded; nullopt when missing or not a string.
inline std::optional<std::string> get_string(std::string_view doc, std::string_view path) {
    auto raw = get(doc, path);
    if (!raw) return std::nullopt;
    return decode_string(*raw);
}

/// The number at `path`; nullopt when missing or not a number.
inline std::optional<double> get_number(std::string_view doc, std::string_view path) {
    auto raw = get(doc, path);
    if (!raw || raw->empty()) return std::nullopt;
    char* stop = nullptr;
    const double v = std::strtod(raw->c_str(), &stop);
    if (stop == raw->c_str() || *stop != '\0') return std::nullopt;
    return v;
}

/// The integer at `path`; nullopt when missing or not an integer.
inline std::optional<std::int64_t> get_int(std::string_view doc, std::string_view path) {
    auto raw = get(doc, path);
    if (!raw || raw->empty()) return std::nullopt;
    char* stop = nullptr;
    const long long v = std::strtoll(raw->c_str(), &stop, 10);
    if (stop == raw->c_str() || *stop != '\0') return std::nullopt;
    return static_cast<std::int64_t>(v);
}

/// The boolean at `path`; nullopt when missing or not a boolean.
inline std::optional<bool> get_bool(std::string_view doc, std::string_view path) {
    auto raw = get(doc, path);
    if (raw && *raw == "true") return true;
    if (raw && *raw == "false") return false;
    return std::nullopt;
}

}  // namespace json
}  // namespace hv

#endif  // HV_JSON_HPP
