#pragma once
// The category tree: read whole (it is small), grown one category at a time.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/sql/database.hpp"
#include "services/catalog/domain/model.hpp"
#include "services/catalog/storage/outcomes.hpp"

namespace emporium::catalog {

class CategoryStore {
 public:
  explicit CategoryStore(sql::Database& db) : db_(db) {}

  std::vector<Category> categories();
  /// Inserts a category under parent (none: a root). kConflict: slug taken;
  /// kNotFound: no such parent.
  WriteOutcome createCategory(const std::string& slug, const std::string& name,
                              std::optional<std::int64_t> parent_id, Category& created);

 private:
  sql::Database& db_;
};

}  // namespace emporium::catalog
