#pragma once
// Reading the JSON of internal calls (a service's internal routes and the
// remote client that calls them): each reader names the field it could not
// read ("lines[2].quantity"), so a route answers 422 naming it and a client
// reports which part of a peer's answer it did not expect.

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json/writer.hpp"

namespace emporium::json::wire {

/// A shape the other end did not expect; `field` names where.
class ShapeError : public std::runtime_error {
 public:
  ShapeError(std::string field, const std::string& message)
      : std::runtime_error(field + " " + message), field_(std::move(field)) {}
  const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
};

/// "lines[2]": how an element of an array field is named.
std::string at(std::string_view field, rapidjson::SizeType index);

/// The member `name` of an object, or ShapeError naming it.
const rapidjson::Value& member(const rapidjson::Value& object, std::string_view name);
/// `value` when it is an array, else ShapeError naming `field`.
const rapidjson::Value& requireArray(const rapidjson::Value& value, std::string_view field);

/// object[name] as a string, a whole number or a boolean; ShapeError names
/// "<field>.<name>" (just <name> when field is empty).
std::string stringOf(const rapidjson::Value& object, std::string_view name,
                     std::string_view field = {});
std::int64_t intOf(const rapidjson::Value& object, std::string_view name,
                   std::string_view field = {});
bool boolOf(const rapidjson::Value& object, std::string_view name, std::string_view field = {});
/// object[name] as a string; nullopt when it is absent or null.
std::optional<std::string> optionalStringOf(const rapidjson::Value& object, std::string_view name,
                                            std::string_view field = {});

/// {"<key>": "<value>"}: the body of the many calls that name one thing.
std::string objectWith(std::string_view key, std::string_view value);

/// ["A-1", ...]
void writeStrings(Writer& out, std::span<const std::string> strings);
std::vector<std::string> readStrings(const rapidjson::Value& array, std::string_view field);

}  // namespace emporium::json::wire
