#pragma once
// gzip for the JSON the gateway passes back (issue 15, part 3): a product
// list or an order history shrinks 5-10x, which is most of what a phone on a
// slow link waits for. zlib lives in compression.cpp only.

#include <optional>
#include <string>
#include <string_view>

namespace emporium::gateway {

/// Whether an Accept-Encoding field value accepts gzip: the token "gzip" (or
/// "*") with no q=0.
bool acceptsGzip(std::string_view accept_encoding);

/// The gzip member (RFC 1952) of `data` at a fast level; nullopt when zlib
/// fails (the answer then goes out uncompressed).
std::optional<std::string> gzip(std::string_view data);

}  // namespace emporium::gateway
