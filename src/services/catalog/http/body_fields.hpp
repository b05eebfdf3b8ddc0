#pragma once
// Reading the fields of the catalog's request bodies (admin writes,
// reviews): each reader names the field in the problem it adds to `v`.

#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/field_errors.hpp"
#include "services/catalog/domain/model.hpp"
#include "services/catalog/storage/product_store.hpp"

namespace emporium::catalog::fields {

using Validation = http::FieldErrors;

/// The highest price or price filter taken: 10 billion in major units.
inline constexpr std::int64_t kMaxPrice = 1'000'000'000'000;

bool isSlug(std::string_view s);
bool isSku(std::string_view s);
/// A slug from free text: ASCII letters and digits, runs of anything else as one '-'.
std::string slugify(std::string_view text);
/// A member that is present and not null; nullptr otherwise.
const rapidjson::Value* member(const rapidjson::Value& object, std::string_view name);
/// Admin writes refuse a member they would not apply (the contract: a
/// silently ignored edit is a lost edit). path_prefix names nested objects.
void refuseUnknownFields(const rapidjson::Value& object,
                         std::initializer_list<std::string_view> known,
                         const std::string& path_prefix, Validation& v);
std::optional<std::string> textField(const rapidjson::Value& object, std::string_view name,
                                     const std::string& path, std::size_t max_bytes, bool required,
                                     Validation& v);
/// A price: minor units as an integer, or a Money object {amount, currency}.
std::optional<std::int64_t> priceField(const rapidjson::Value& object, const std::string& path,
                                       bool required, Validation& v);
/// A JSON object member, serialized.
std::optional<std::string> objectField(const rapidjson::Value& object, std::string_view name,
                                       const std::string& path, Validation& v);
std::optional<std::string> imagesField(const rapidjson::Value& object, Validation& v);
std::optional<std::int64_t> stockField(const rapidjson::Value& object, const std::string& path,
                                       Validation& v);
/// A category named by slug, or by id (string or number).
std::optional<std::int64_t> resolveCategory(const rapidjson::Value& value,
                                            const std::vector<Category>& categories);
std::vector<ProductPatch::VariantPatch> variantsField(const rapidjson::Value& object, bool creating,
                                                      bool price_required, Validation& v);

}  // namespace emporium::catalog::fields
