#pragma once
// What every cache tier holds: a rendered response body and its ETag.

#include <string>
#include <string_view>

namespace emporium::cache {

/// An immutable cached value, shared between tiers and readers as
/// std::shared_ptr<const Entry>: a reader keeps its copy alive even if the
/// entry is evicted or invalidated meanwhile.
struct Entry {
  std::string body;
  /// A strong ETag including its quotes, e.g. "\"9f2c04e1b7d3a655\"".
  std::string etag;
};

/// A strong ETag for body: its 64-bit FNV-1a hash as 16 hex digits, quoted.
/// Not cryptographic (anyone can craft a collision); that is fine for an ETag,
/// which only has to change when the body a client already holds changes.
std::string makeEtag(std::string_view body);

}  // namespace emporium::cache
