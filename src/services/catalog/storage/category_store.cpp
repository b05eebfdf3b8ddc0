#include "services/catalog/storage/category_store.hpp"

#include "core/util/ids.hpp"
#include "services/catalog/storage/rows.hpp"

namespace emporium::catalog {
namespace {

constexpr sql::Query kCategoryById{"catalog.category_by_id",
                                   "SELECT path FROM categories WHERE id = $1"};
constexpr sql::Query kInsertCategory{
    "catalog.insert_category",
    "INSERT INTO categories (slug, name, parent_id, path, position, created_at) "
    "VALUES ($1, $2, $3, '', (SELECT COALESCE(MAX(position), 0) + 1 FROM categories), $4) "
    "RETURNING id, position"};
constexpr sql::Query kSetCategoryPath{"catalog.set_category_path",
                                      "UPDATE categories SET path = $2 WHERE id = $1"};

}  // namespace

std::vector<Category> CategoryStore::categories() {
  return db_.read([](sql::Session& s) { return rows::loadCategories(s); });
}

WriteOutcome CategoryStore::createCategory(const std::string& slug, const std::string& name,
                                           std::optional<std::int64_t> parent_id,
                                           Category& created) {
  try {
    return db_.write([&](sql::Session& s) {
      std::string parent_path = "/";
      if (parent_id) {
        const auto parent = s.execute(kCategoryById, {*parent_id});
        if (parent.empty()) return WriteOutcome::kNotFound;
        parent_path = parent[0].getText(0);
      }
      const sql::Param parent_param = parent_id ? sql::Param(*parent_id) : sql::Param(nullptr);
      const std::string now = util::nowRfc3339();
      const auto rows = s.execute(kInsertCategory, {slug, name, parent_param, now});
      created.id = rows[0].getInt64(0);
      created.position = rows[0].getInt64(1);
      created.slug = slug;
      created.name = name;
      created.parent_id = parent_id;
      created.path = parent_path + std::to_string(created.id) + "/";
      s.execute(kSetCategoryPath, {created.id, created.path});
      return WriteOutcome::kDone;
    });
  } catch (const sql::Error& e) {
    if (e.kind() == sql::ErrorKind::kUniqueViolation) return WriteOutcome::kConflict;
    throw;
  }
}

}  // namespace emporium::catalog
