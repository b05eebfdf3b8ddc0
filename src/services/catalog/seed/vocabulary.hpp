#pragma once
// The words the seed generator builds a catalog from: departments with their
// category tree, product nouns, adjectives, attributes and sentence parts.
// Plain data in compact text, parsed once per generator (see vocabulary.cpp).

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace emporium::catalog::seed {

/// What a department's variants differ by.
enum class VariantKind {
  kColor,      // {"color": "Black"}
  kSizeColor,  // {"size": "M", "color": "Navy"}
  kFormat,     // {"format": "Hardcover"}: books
  kPack,       // {"pack": "4 Pack"}: groceries
  kVolume,     // {"size": "100 ml"}: beauty
  kSize,       // {"size": "Large"}: pet supplies
};

/// One product attribute a department's products carry, e.g. material.
struct AttributeVocabulary {
  std::string key;                  // JSON key: "material"
  std::vector<std::string> values;  // "Aluminum", "Glass", ...
};

/// A leaf category: what its products are called.
struct LeafVocabulary {
  std::string noun;  // singular, as in a title: "Bluetooth Speaker"
  std::string name;  // the category's name, plural: "Bluetooth Speakers"
};

struct SubcategoryVocabulary {
  std::string name;
  std::vector<LeafVocabulary> leaves;
};

struct DepartmentVocabulary {
  std::string name;
  std::vector<SubcategoryVocabulary> subcategories;
  std::vector<std::string> adjectives;
  std::vector<AttributeVocabulary> attributes;  // the first one also shapes descriptions
  std::vector<std::string> audiences;           // "home cooks": "a great pick for home cooks"
  std::vector<std::string> openings;            // first sentences, with {placeholders}
  std::vector<std::string> brand_suffixes;      // "" or " Press", " Farms", ...
  VariantKind variant_kind = VariantKind::kColor;
  bool model_numbers = false;  // titles end in a model number ("X200")
  double median_price_usd = 35;
};

/// The whole vocabulary. Constructing it parses the embedded text.
struct Vocabulary {
  Vocabulary();

  std::vector<DepartmentVocabulary> departments;
  std::vector<std::string> colors;
  std::vector<std::string> clothing_sizes;
  std::vector<std::string> book_formats;
  std::vector<std::string> pack_sizes;
  std::vector<std::string> volumes;
  std::vector<std::string> pet_sizes;
  std::vector<std::string> qualities;  // "solid build quality"
  std::vector<std::string>
      sentences;  // description sentences after the opening, with {placeholders}
  std::vector<std::string> book_title_adjectives;
  std::vector<std::string> book_title_nouns;
  std::vector<std::string> brand_starts;  // syllables brand names are made of
  std::vector<std::string> brand_middles;
  std::vector<std::string> brand_ends;
  std::vector<std::string> first_names;                 // reviewers
  std::vector<std::vector<std::string>> review_titles;  // [rating - 1]
  std::vector<std::vector<std::string>> review_bodies;  // [rating - 1], with {noun}
};

/// "Bluetooth Speaker" -> "Bluetooth Speakers", "Watch" -> "Watches",
/// "Battery" -> "Batteries".
std::string pluralize(std::string_view noun);

/// Lowercase ASCII letters and digits joined by single hyphens:
/// "Men's Clothing & Shoes" -> "mens-clothing-shoes". At most max_length
/// characters, cut at a hyphen where possible.
std::string slugify(std::string_view text, std::size_t max_length = 200);

}  // namespace emporium::catalog::seed
