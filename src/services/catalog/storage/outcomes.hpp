#pragma once
// What the catalog's stores answer besides data: a write's outcome, and a
// reference to something that does not exist.

#include <stdexcept>
#include <string>

namespace emporium::catalog {

/// A request named something that does not exist (an unknown category
/// slug, a new variant without a price). The HTTP layer turns it into a 422
/// naming the field.
class UnknownReference : public std::runtime_error {
 public:
  UnknownReference(std::string field, const std::string& message)
      : std::runtime_error(message), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

enum class WriteOutcome { kDone, kNotFound, kConflict, kForbidden };

}  // namespace emporium::catalog
