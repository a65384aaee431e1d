// A minimal JSON DOM for the tests only (the wrapper itself has no JSON dependency):
// parse, serialise (numbers keep their source text), and the conformance vectors' subset match.
#pragma once

#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <hv/json.hpp>

namespace testjson {

struct Value {
    enum class Kind { Null, Bool, Number, String, Array, Object };
    Kind kind = Kind::Null;
    bool b = false;
    std::string text;  // number source text or decoded string
    std::vector<Value> items;
    std::vector<std::pair<std::string, Value>> members;  // object, in source order

    bool is_object() const { return kind == Kind::Object; }
    double number() const { return std::strtod(text.c_str(), nullptr); }
    const Value* find(const std::string& key) const {
        for (const auto& m : members)
            if (m.first == key) return &m.second;
        return nullptr;
    }
    const Value& at(const std::string& key) const {
        const Value* v = find(key);
        if (!v) throw std::runtime_error("missing key " + key);
        return *v;
    }
};

class Parser {
public:
    explicit Parser(const std::string& s) : s_(s) {}
    Value parse() {
        Value v = value();
        ws();
        if (i_ != s_.size()) fail("trailing characters");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw std::runtime_error("JSON parse error at " + std::to_string(i_) + ": " + what);
    }
    void ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
    }
    bool lit(const char* w) {
        const std::string word(w);
        if (s_.compare(i_, word.size(), word) == 0) {
            i_ += word.size();
            return true;
        }
        return false;
    }
    std::string str() {
        const std::size_t start = i_;
        ++i_;
        while (i_ < s_.size() && s_[i_] != '"') i_ += (s_[i_] == '\\') ? 2 : 1;
        if (i_ >= s_.size()) fail("unterminated string");
        ++i_;
        auto d = hv::json::decode_string(std::string_view(s_).substr(start, i_ - start));
        if (!d) fail("bad string");
        return *d;
    }
    Value value() {
        ws();
        if (i_ >= s_.size()) fail("unexpected end");
        Value v;
        const char c = s_[i_];
        if (c == '{') {
            v.kind = Value::Kind::Object;
            ++i_;
            ws();
            if (s_[i_] == '}') {
                ++i_;
                return v;
            }
            for (;;) {
                ws();
                if (s_[i_] != '"') fail("expected key");
                std::string k = str();
                ws();
                if (s_[i_++] != ':') fail("expected ':'");
                v.members.emplace_back(std::move(k), value());
                ws();
                if (s_[i_] == ',') {
                    ++i_;
                    continue;
                }
                if (s_[i_++] != '}') fail("expected '}'");
                return v;
            }
        }
        if (c == '[') {
            v.kind = Value::Kind::Array;
            ++i_;
            ws();
            if (s_[i_] == ']') {
                ++i_;
                return v;
            }
            for (;;) {
                v.items.push_back(value());
                ws();
                if (s_[i_] == ',') {
                    ++i_;
                    continue;
                }
                if (s_[i_++] != ']') fail("expected ']'");
                return v;
            }
        }
        if (c == '"') {
            v.kind = Value::Kind::String;
            v.text = str();
            return v;
        }
        if (lit("true")) {
            v.kind = Value::Kind::Bool;
            v.b = true;
            return v;
        }
        if (lit("false")) {
            v.kind = Value::Kind::Bool;
            return v;
        }
        if (lit("null")) return v;
        const std::size_t start = i_;
        while (i_ < s_.size() && std::string("+-0123456789.eE").find(s_[i_]) != std::string::npos) ++i_;
        if (start == i_) fail("unexpected character");
        v.kind = Value::Kind::Number;
        v.text = s_.substr(start, i_ - start);
        return v;
    }

    const std::string& s_;
    std::size_t i_ = 0;
};

inline Value parse(const std::string& s) { return Parser(s).parse(); }

inline std::string dump(const Value& v) {
    switch (v.kind) {
        case Value::Kind::Null: return "null";
        case Value::Kind::Bool: return v.b ? "true" : "false";
        case Value::Kind::Number: return v.text;
        case Value::Kind::String: return hv::json::quote(v.text);
        case Value::Kind::Array: {
            std::string out = "[";
            for (std::size_t k = 0; k < v.items.size(); ++k) out += (k ? "," : "") + dump(v.items[k]);
            return out + "]";
        }
        case Value::Kind::Object: {
            std::string out = "{";
            for (std::size_t k = 0; k < v.members.size(); ++k)
                out += (k ? "," : "") + hv::json::quote(v.members[k].first) + ":" + dump(v.members[k].second);
            return out + "}";
        }
    }
    return "null";
}

/// The README's subset rule: every expected key present and matching; arrays same length,
/// element-wise; numbers within 1e-9; strings, booleans and null exact. Returns "" on match,
/// else a description of the first mismatch.
inline std::string subset_mismatch(const Value& expect, const Value& actual, const std::string& path = "$") {
    using K = Value::Kind;
    if (expect.kind == K::Object) {
        if (actual.kind != K::Object) return path + ": expected an object, got " + dump(actual);
        for (const auto& m : expect.members) {
            const Value* a = actual.find(m.first);
            if (!a) return path + "." + m.first + ": missing";
            std::string r = subset_mismatch(m.second, *a, path + "." + m.first);
            if (!r.empty()) return r;
        }
        return "";
    }
    if (expect.kind == K::Array) {
        if (actual.kind != K::Array) return path + ": expected an array, got " + dump(actual);
        if (expect.items.size() != actual.items.size())
            return path + ": expected " + std::to_string(expect.items.size()) + " elements, got " +
                   std::to_string(actual.items.size());
        for (std::size_t k = 0; k < expect.items.size(); ++k) {
            std::string r = subset_mismatch(expect.items[k], actual.items[k], path + "[" + std::to_string(k) + "]");
            if (!r.empty()) return r;
        }
        return "";
    }
    if (expect.kind == K::Number) {
        if (actual.kind != K::Number || std::fabs(expect.number() - actual.number()) > 1e-9)
            return path + ": expected " + expect.text + ", got " + dump(actual);
        return "";
    }
    if (expect.kind != actual.kind || expect.b != actual.b || expect.text != actual.text)
        return path + ": expected " + dump(expect) + ", got " + dump(actual);
    return "";
}

}  // namespace testjson
