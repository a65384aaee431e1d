// SHA-256 (FIPS 180-4) for the tests only: recomputes delta hashes and RFC 6962 Merkle
// nodes independently of the engine.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace testsha {

using Digest = std::array<std::uint8_t, 32>;

inline Digest sha256(const std::vector<std::uint8_t>& msg) {
    static const std::uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    std::uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                          0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    std::vector<std::uint8_t> m = msg;
    const std::uint64_t bits = static_cast<std::uint64_t>(msg.size()) * 8;
    m.push_back(0x80);
    while (m.size() % 64 != 56) m.push_back(0);
    for (int i = 7; i >= 0; --i) m.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
    auto rotr = [](std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); };
    for (std::size_t off = 0; off < m.size(); off += 64) {
        std::uint32_t w[64];
        for (int i = 0; i < 16; ++i)
            w[i] = (std::uint32_t(m[off + 4 * i]) << 24) | (std::uint32_t(m[off + 4 * i + 1]) << 16) |
                   (std::uint32_t(m[off + 4 * i + 2]) << 8) | std::uint32_t(m[off + 4 * i + 3]);
        for (int i = 16; i < 64; ++i) {
            const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
        for (int i = 0; i < 64; ++i) {
            const std::uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
            const std::uint32_t ch = (e & f) ^ (~e & g);
            const std::uint32_t t1 = hh + S1 + ch + K[i] + w[i];
            const std::uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
            const std::uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
            const std::uint32_t t2 = S0 + maj;
            hh = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
    }
    Digest out{};
    for (int i = 0; i < 8; ++i)
        for (int j = 0; j < 4; ++j) out[4 * i + j] = static_cast<std::uint8_t>(h[i] >> (24 - 8 * j));
    return out;
}

inline Digest sha256(const std::string& s) { return sha256(std::vector<std::uint8_t>(s.begin(), s.end())); }

inline std::string hex(const Digest& d) {
    static const char* const digits = "0123456789abcdef";
    std::string out;
    for (auto b : d) {
        out += digits[b >> 4];
        out += digits[b & 0xF];
    }
    return out;
}

inline Digest from_hex(const std::string& s) {
    Digest d{};
    auto nib = [](char c) { return static_cast<std::uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10); };
    for (std::size_t i = 0; i < 32 && 2 * i + 1 < s.size(); ++i)
        d[i] = static_cast<std::uint8_t>((nib(s[2 * i]) << 4) | nib(s[2 * i + 1]));
    return d;
}

// RFC 6962 §2.1: leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right).
inline Digest leaf(const Digest& data) {
    std::vector<std::uint8_t> m{0x00};
    m.insert(m.end(), data.begin(), data.end());
    return sha256(m);
}
inline Digest node(const Digest& l, const Digest& r) {
    std::vector<std::uint8_t> m{0x01};
    m.insert(m.end(), l.begin(), l.end());
    m.insert(m.end(), r.begin(), r.end());
    return sha256(m);
}

// MTH over leaf hashes [lo, hi).
inline Digest mth(const std::vector<Digest>& leaves, std::size_t lo, std::size_t hi) {
    if (hi - lo == 1) return leaves[lo];
    std::size_t k = 1;
    while (k * 2 < hi - lo) k *= 2;
    return node(mth(leaves, lo, lo + k), mth(leaves, lo + k, hi));
}

// PATH(m, D[lo:hi]) of RFC 6962 §2.1.1, deepest sibling first.
inline void path(const std::vector<Digest>& leaves, std::size_t m, std::size_t lo, std::size_t hi,
                 std::vector<Digest>& out) {
    if (hi - lo <= 1) return;
    std::size_t k = 1;
    while (k * 2 < hi - lo) k *= 2;
    if (m < k) {
        path(leaves, m, lo, lo + k, out);
        out.push_back(mth(leaves, lo + k, hi));
    } else {
        path(leaves, m - k, lo + k, hi, out);
        out.push_back(mth(leaves, lo, lo + k));
    }
}

// SUBPROOF(m, D[lo:hi], b) of RFC 6962 §2.1.2.
inline void subproof(const std::vector<Digest>& leaves, std::size_t m, std::size_t lo, std::size_t hi, bool b,
                     std::vector<Digest>& out) {
    const std::size_t n = hi - lo;
    if (m == n) {
        if (!b) out.push_back(mth(leaves, lo, hi));
        return;
    }
    std::size_t k = 1;
    while (k * 2 < n) k *= 2;
    if (m <= k) {
        subproof(leaves, m, lo, lo + k, b, out);
        out.push_back(mth(leaves, lo + k, hi));
    } else {
        subproof(leaves, m - k, lo + k, hi, false, out);
        out.push_back(mth(leaves, lo, lo + k));
    }
}

}  // namespace testsha
