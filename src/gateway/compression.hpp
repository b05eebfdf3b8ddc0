#pragma once
// Compression for the JSON the gateway passes back (issue 15, part 3): a
// product list or an order history shrinks 5-10x, which is most of what a
// phone on a slow link waits for. Brotli when the client takes it (about a
// fifth smaller than gzip on our JSON), else gzip. zlib and brotli live in
// compression.cpp only.

#include <optional>
#include <string>
#include <string_view>

namespace emporium::gateway {

/// A content coding the gateway can produce.
enum class Coding : unsigned char { kIdentity, kGzip, kBrotli };

/// The coding to answer with for an Accept-Encoding field value (RFC 9110
/// 12.5.3): the one with the higher q of "br" and "gzip" ("*" stands for
/// either when it is not named), brotli on a tie, identity when neither is
/// acceptable (absent, or q=0).
Coding preferredCoding(std::string_view accept_encoding);

/// Whether an Accept-Encoding field value accepts gzip: the token "gzip" (or
/// "*") with no q=0.
bool acceptsGzip(std::string_view accept_encoding);

/// The gzip member (RFC 1952) of `data` at a fast level; nullopt when zlib
/// fails (the answer then goes out uncompressed).
std::optional<std::string> gzip(std::string_view data);

/// The brotli stream (RFC 7932) of `data` at quality 4 (most of the gain at
/// about gzip's speed); nullopt when the encoder fails.
std::optional<std::string> brotli(std::string_view data);

}  // namespace emporium::gateway
