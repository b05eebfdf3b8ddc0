#pragma once
// The one way money is written into JSON, as the contract spells it:
// {"amount": <minor units, integer>, "currency": "<ISO 4217>"}.

#include <cstdint>
#include <string_view>

#include "core/json/writer.hpp"

namespace emporium::json {

/// The money object as a value (after a key(), or in an array).
inline Writer& writeMoney(Writer& w, std::int64_t amount, std::string_view currency) {
  return w.startObject().member("amount", amount).member("currency", currency).endObject();
}

/// "key": the money object, as a member of the object being written.
inline Writer& writeMoney(Writer& w, std::string_view key, std::int64_t amount,
                          std::string_view currency) {
  return writeMoney(w.key(key), amount, currency);
}

}  // namespace emporium::json
