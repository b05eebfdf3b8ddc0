#include "services/catalog/http/body_fields.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "core/json/utf8.hpp"

namespace emporium::catalog::fields {

bool isSlug(std::string_view s) {
  if (s.empty() || s.size() > 120 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool isSku(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

/// A slug from free text: ASCII letters and digits, runs of anything else as one '-'.
std::string slugify(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum) {
      out += c;
    } else if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
    if (out.size() >= 80) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "item" : out;
}

std::string serialize(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

const rapidjson::Value* member(const rapidjson::Value& object, std::string_view name) {
  const auto it = object.FindMember(rapidjson::Value(
      rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size()))));
  if (it == object.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

/// Admin writes refuse a member they would not apply (the contract: a
/// silently ignored edit is a lost edit). path_prefix names nested objects.
void refuseUnknownFields(const rapidjson::Value& object,
                         std::initializer_list<std::string_view> known,
                         const std::string& path_prefix, Validation& v) {
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    const std::string_view name(it->name.GetString(), it->name.GetStringLength());
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    v.fail(path_prefix + std::string(name), "is not a field this request can change");
  }
}

std::optional<std::string> textField(const rapidjson::Value& object, std::string_view name,
                                     const std::string& path, std::size_t max_bytes, bool required,
                                     Validation& v) {
  const auto* value = member(object, name);
  if (value == nullptr) {
    if (required) v.fail(path, "is required");
    return std::nullopt;
  }
  if (!value->IsString()) {
    v.fail(path, "must be a string");
    return std::nullopt;
  }
  std::string text(value->GetString(), value->GetStringLength());
  if (required && text.find_first_not_of(" \t\r\n") == std::string::npos) {
    v.fail(path, "must not be empty");
    return std::nullopt;
  }
  if (text.size() > max_bytes) {
    v.fail(path, "must be at most " + std::to_string(max_bytes) + " bytes");
    return std::nullopt;
  }
  if (!json::isValidUtf8(text) || text.find('\0') != std::string::npos) {
    v.fail(path, "must be UTF-8 text without NUL");
    return std::nullopt;
  }
  return text;
}

/// A price: minor units as an integer, or a Money object {amount, currency}.
std::optional<std::int64_t> priceField(const rapidjson::Value& object, const std::string& path,
                                       bool required, Validation& v) {
  const auto* value = member(object, "price");
  if (value == nullptr) {
    if (required) v.fail(path, "is required");
    return std::nullopt;
  }
  const rapidjson::Value* amount = value;
  if (value->IsObject()) amount = member(*value, "amount");
  if (amount == nullptr || !amount->IsInt64() || amount->GetInt64() < 0 ||
      amount->GetInt64() > kMaxPrice) {
    v.fail(path, "must be a whole number of minor units (cents), 0 or more");
    return std::nullopt;
  }
  return amount->GetInt64();
}

std::optional<std::string> objectField(const rapidjson::Value& object, std::string_view name,
                                       const std::string& path, Validation& v) {
  const auto* value = member(object, name);
  if (value == nullptr) return std::nullopt;
  if (!value->IsObject()) {
    v.fail(path, "must be an object");
    return std::nullopt;
  }
  return serialize(*value);
}

std::optional<std::string> imagesField(const rapidjson::Value& object, Validation& v) {
  const auto* value = member(object, "images");
  if (value == nullptr) return std::nullopt;
  if (!value->IsArray() || value->Size() > 20) {
    v.fail("images", "must be an array of at most 20 image URLs");
    return std::nullopt;
  }
  for (rapidjson::SizeType i = 0; i < value->Size(); ++i) {
    const auto& url = (*value)[i];
    if (!url.IsString() || url.GetStringLength() == 0 || url.GetStringLength() > 500) {
      v.fail("images[" + std::to_string(i) + "]", "must be a URL of at most 500 bytes");
      return std::nullopt;
    }
  }
  return serialize(*value);
}

std::optional<std::int64_t> stockField(const rapidjson::Value& object, const std::string& path,
                                       Validation& v) {
  const auto* value = member(object, "stock");
  if (value == nullptr) return std::nullopt;
  if (!value->IsInt64() || value->GetInt64() < 0 || value->GetInt64() > 1'000'000'000) {
    v.fail(path, "must be a whole number from 0 to 1000000000");
    return std::nullopt;
  }
  return value->GetInt64();
}

/// A category named by slug, or by id (string or number).
std::optional<std::int64_t> resolveCategory(const rapidjson::Value& value,
                                            const std::vector<Category>& categories) {
  std::string wanted;
  if (value.IsString()) {
    wanted.assign(value.GetString(), value.GetStringLength());
  } else if (value.IsInt64()) {
    wanted = std::to_string(value.GetInt64());
  } else {
    return std::nullopt;
  }
  for (const auto& c : categories) {
    if (c.slug == wanted || std::to_string(c.id) == wanted) return c.id;
  }
  return std::nullopt;
}

std::vector<ProductPatch::VariantPatch> variantsField(const rapidjson::Value& object, bool creating,
                                                      bool price_required, Validation& v) {
  std::vector<ProductPatch::VariantPatch> out;
  const auto* value = member(object, "variants");
  if (value == nullptr) {
    if (creating) v.fail("variants", "is required: at least one variant with sku and price");
    return out;
  }
  if (!value->IsArray() || (creating && value->Empty()) || value->Size() > 100) {
    v.fail("variants", "must be an array of 1 to 100 variants");
    return out;
  }
  std::vector<std::string> seen;
  for (rapidjson::SizeType i = 0; i < value->Size(); ++i) {
    const std::string path = "variants[" + std::to_string(i) + "]";
    const auto& item = (*value)[i];
    if (!item.IsObject()) {
      v.fail(path, "must be an object");
      continue;
    }
    refuseUnknownFields(item, {"sku", "price", "attributes", "stock"}, path + ".", v);
    ProductPatch::VariantPatch variant;
    const auto sku = textField(item, "sku", path + ".sku", 64, true, v);
    if (sku && !isSku(*sku)) {
      v.fail(path + ".sku", "must be 1 to 64 letters, digits, '-', '_' or '.'");
    } else if (sku) {
      if (std::find(seen.begin(), seen.end(), *sku) != seen.end()) {
        v.fail(path + ".sku", "appears twice in this request");
      }
      seen.push_back(*sku);
      variant.sku = *sku;
    }
    variant.price = priceField(item, path + ".price", price_required, v);
    variant.attributes_json = objectField(item, "attributes", path + ".attributes", v);
    variant.stock = stockField(item, path + ".stock", v);
    out.push_back(std::move(variant));
  }
  return out;
}

}  // namespace emporium::catalog::fields
