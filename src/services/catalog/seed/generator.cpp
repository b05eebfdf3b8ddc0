#include "services/catalog/seed/generator.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <initializer_list>
#include <set>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "services/catalog/seed/random.hpp"
#include "services/catalog/seed/timestamps.hpp"
#include "services/catalog/seed/vocabulary.hpp"

namespace emporium::catalog::seed {
namespace {

// Stream ids: each purpose draws from its own stream of the seed, so adding
// a draw to one never shifts the numbers of another.
constexpr std::uint64_t kBrandStream = 0xb4a9d5ULL;
constexpr std::uint64_t kCategoryWeightStream = 0xca7e6041ULL;
constexpr std::uint64_t kProductStreamBase = 0x9e0d0c7ULL << 40;

constexpr std::size_t kBrandsPerDepartment = 30;
// Zipf exponent for brands within a department: the top brand takes about a
// quarter of the department, the top five about half.
constexpr double kBrandZipfExponent = 1.1;
constexpr std::int64_t kMinUserPool = 2000;
constexpr std::int64_t kMaxReviewsPerProduct = 120;
constexpr double kOutOfStockShare = 0.10;

// Cumulative probabilities of ratings 1..5 for three kinds of product: most
// are liked, some are divisive (the J-shaped curve of real shop reviews).
constexpr std::array<std::array<double, 5>, 3> kRatingProfiles = {{
    {0.03, 0.05, 0.10, 0.30, 1.0},  // great: mean ~4.5
    {0.06, 0.11, 0.23, 0.58, 1.0},  // good: mean ~4.0
    {0.20, 0.35, 0.55, 0.80, 1.0},  // divisive: mean ~3.1
}};
constexpr std::array<double, 3> kRatingProfileShares = {0.4, 0.4, 0.2};
constexpr std::array<double, 4> kVariantCountShares = {0.35, 0.25, 0.2, 0.2};  // 1..4 variants

constexpr std::array<std::string_view, 6> kModelPrefixes = {"X", "S", "Pro ", "M", "Z", "GT"};

struct Placeholder {
  std::string_view name;
  std::string_view value;
};

// Replaces each {name} in `text` by its value; unknown names stay as written.
std::string fill(std::string_view text, std::initializer_list<Placeholder> values) {
  std::string out;
  out.reserve(text.size() + 64);
  while (!text.empty()) {
    const std::size_t open = text.find('{');
    const std::size_t close = open == std::string_view::npos ? open : text.find('}', open);
    if (close == std::string_view::npos) break;
    out.append(text.substr(0, open));
    const std::string_view name = text.substr(open + 1, close - open - 1);
    const auto it = std::find_if(values.begin(), values.end(),
                                 [&](const Placeholder& p) { return p.name == name; });
    out.append(it != values.end() ? it->value : text.substr(open, close - open + 1));
    text.remove_prefix(close + 1);
  }
  out.append(text);
  return out;
}

// "Bluetooth Speaker" -> "bluetooth speaker"; all-capital words ("BBQ") stay.
std::string lowerWords(std::string_view text) {
  std::string out(text);
  std::size_t start = 0;
  while (start < out.size()) {
    std::size_t end = out.find(' ', start);
    if (end == std::string::npos) end = out.size();
    const bool acronym =
        end - start > 1 &&
        std::all_of(out.begin() + static_cast<long>(start), out.begin() + static_cast<long>(end),
                    [](char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; });
    if (!acronym) {
      for (std::size_t i = start; i < end; ++i) {
        out[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[i])));
      }
    }
    start = end + 1;
  }
  return out;
}

void appendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr std::string_view kHex = "0123456789abcdef";
      out += "\\u00";
      out += kHex[static_cast<unsigned char>(c) >> 4];
      out += kHex[static_cast<unsigned char>(c) & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string jsonObject(
    std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  std::string out = "{";
  for (const auto& [key, value] : fields) {
    if (out.size() > 1) out += ", ";
    appendJsonString(out, key);
    out += ": ";
    appendJsonString(out, value);
  }
  out += '}';
  return out;
}

// A shop price: whole dollars plus .49 or .99, at least $1.99.
std::int64_t shopPrice(double dollars) {
  dollars = std::clamp(dollars, 1.99, 9999.99);
  const auto whole = static_cast<std::int64_t>(dollars);
  const bool upper_half = dollars - static_cast<double>(whole) >= 0.5;
  return std::max<std::int64_t>(whole * 100 + (upper_half ? 99 : 49), 199);
}

// Mean rating rounded half up to 2 decimals, in integer arithmetic so that it
// equals what ROUND(AVG(rating), 2) gives on PostgreSQL (exact numeric).
double roundedMean(std::int64_t sum, std::int64_t count) {
  if (count == 0) return 0;
  const std::int64_t hundredths = (sum * 200 + count) / (2 * count);
  return static_cast<double>(hundredths) / 100.0;
}

// Samples `count` distinct indexes below `bound` (count much smaller than bound).
std::vector<std::uint64_t> distinctBelow(Random& random, std::size_t count, std::uint64_t bound) {
  std::vector<std::uint64_t> picked;
  picked.reserve(count);
  while (picked.size() < count) {
    const std::uint64_t candidate = random.below(bound);
    if (std::find(picked.begin(), picked.end(), candidate) == picked.end()) {
      picked.push_back(candidate);
    }
  }
  return picked;
}

// What a leaf category's products are: department and noun.
struct LeafProfile {
  std::int64_t category_id;
  std::size_t department;
  std::string noun;
};

}  // namespace

std::vector<SeedCategory> generateCategoryTree(std::int64_t first_id,
                                               const std::string& created_at) {
  const Vocabulary vocabulary;
  std::vector<SeedCategory> tree;
  std::unordered_set<std::string> slugs;
  std::int64_t next_id = first_id;
  const auto add = [&](const std::string& name, const SeedCategory* parent, std::int64_t position) {
    SeedCategory category;
    category.id = next_id++;
    category.name = name;
    category.slug = slugify(name);
    // A plain slug taken elsewhere in the tree ("electronics" under
    // Automotive) gets its parent's slug in front.
    if (parent != nullptr && slugs.count(category.slug) != 0) {
      category.slug = parent->slug + "-" + category.slug;
    }
    for (int suffix = 2; slugs.count(category.slug) != 0; ++suffix) {
      category.slug = slugify(name) + "-" + std::to_string(suffix);
    }
    slugs.insert(category.slug);
    category.parent_id = parent != nullptr ? std::optional(parent->id) : std::nullopt;
    category.path =
        (parent != nullptr ? parent->path : std::string("/")) + std::to_string(category.id) + "/";
    category.position = position;
    category.created_at = created_at;
    tree.push_back(std::move(category));
    return tree.size() - 1;
  };
  for (std::size_t d = 0; d < vocabulary.departments.size(); ++d) {
    const DepartmentVocabulary& department = vocabulary.departments[d];
    const std::size_t department_at = add(department.name, nullptr, static_cast<std::int64_t>(d));
    for (std::size_t s = 0; s < department.subcategories.size(); ++s) {
      const SubcategoryVocabulary& subcategory = department.subcategories[s];
      const SeedCategory department_node = tree[department_at];  // copy: add() may reallocate
      const std::size_t sub_at =
          add(subcategory.name, &department_node, static_cast<std::int64_t>(s));
      const SeedCategory sub_node = tree[sub_at];
      for (std::size_t l = 0; l < subcategory.leaves.size(); ++l) {
        add(subcategory.leaves[l].name, &sub_node, static_cast<std::int64_t>(l));
      }
    }
  }
  return tree;
}

std::vector<CategoryChoice> leafCategories(const std::vector<SeedCategory>& tree) {
  std::unordered_set<std::int64_t> parents;
  for (const SeedCategory& category : tree) {
    if (category.parent_id) parents.insert(*category.parent_id);
  }
  std::vector<CategoryChoice> leaves;
  for (const SeedCategory& category : tree) {
    if (parents.count(category.id) == 0) {
      leaves.push_back({category.id, category.slug, category.name});
    }
  }
  return leaves;
}

struct ProductGenerator::State {
  explicit State(ProductGeneratorOptions opts)
      : options(std::move(opts)),
        brand_ranks(WeightedTable::zipf(kBrandsPerDepartment, kBrandZipfExponent)),
        rating_profiles(kRatingProfileShares),
        variant_counts(kVariantCountShares),
        leaf_weights(makeLeafWeights()),
        user_pool(std::max(kMinUserPool, options.count / 2)),
        next_review_id(options.first_review_id) {
    makeBrands();
    makeLeafProfiles();
    const std::int64_t window = options.last_created_micros - options.first_created_micros;
    micros_per_product = options.count > 0 ? window / options.count : 0;
  }

  WeightedTable makeLeafWeights() const {
    // Some categories are much bigger than others, as in a real shop.
    Random random(mixSeed(options.seed, kCategoryWeightStream));
    std::vector<double> weights;
    weights.reserve(options.categories.size());
    for (std::size_t i = 0; i < options.categories.size(); ++i) {
      weights.push_back(random.logNormal(1.0, 0.7));
    }
    return WeightedTable(weights);
  }

  void makeBrands() {
    Random random(mixSeed(options.seed, kBrandStream));
    std::set<std::string> taken;
    department_brands.resize(vocabulary.departments.size());
    for (std::size_t d = 0; d < vocabulary.departments.size(); ++d) {
      const DepartmentVocabulary& department = vocabulary.departments[d];
      while (department_brands[d].size() < kBrandsPerDepartment) {
        const std::string& start = random.pick(vocabulary.brand_starts);
        std::string middle = random.pick(vocabulary.brand_middles);
        const std::string& end = random.pick(vocabulary.brand_ends);
        // "Ul" + "ri" + "io" reads badly: drop the middle before a vowel.
        if (!middle.empty() && std::string_view("aeiou").find(end.front()) != std::string::npos) {
          middle.clear();
        }
        std::string name = start;
        name += middle;
        name += end;
        name += random.pick(department.brand_suffixes);
        if (taken.insert(name).second) department_brands[d].push_back(std::move(name));
      }
      all_brands.insert(all_brands.end(), department_brands[d].begin(), department_brands[d].end());
    }
  }

  void makeLeafProfiles() {
    std::unordered_map<std::string, std::pair<std::size_t, std::string>> known;
    for (std::size_t d = 0; d < vocabulary.departments.size(); ++d) {
      for (const SubcategoryVocabulary& sub : vocabulary.departments[d].subcategories) {
        for (const LeafVocabulary& leaf : sub.leaves) {
          // The slug generateCategoryTree gives a leaf, and the variant with
          // its parent's slug in front, as it gets on a clash.
          known.emplace(slugify(leaf.name), std::pair(d, leaf.noun));
          known.emplace(slugify(sub.name) + "-" + slugify(leaf.name), std::pair(d, leaf.noun));
        }
      }
    }
    for (const CategoryChoice& category : options.categories) {
      if (const auto it = known.find(category.slug); it != known.end()) {
        leaves.push_back({category.id, it->second.first, it->second.second});
      } else {
        // A category someone else made: a department picked by its id, and
        // its own name as the noun.
        leaves.push_back({category.id,
                          static_cast<std::size_t>(mix64(static_cast<std::uint64_t>(category.id)) %
                                                   vocabulary.departments.size()),
                          category.name});
      }
    }
  }

  std::string userName(std::uint64_t user) const {
    const std::uint64_t bits = mix64(user);
    std::string name = vocabulary.first_names[bits % vocabulary.first_names.size()];
    name += ' ';
    name += static_cast<char>('A' + (bits >> 32) % 26);
    name += '.';
    return name;
  }

  std::string title(Random& random, const LeafProfile& leaf, const DepartmentVocabulary& department,
                    const std::string& brand, const std::string& adjective,
                    const std::string& first_attribute) const {
    if (department.variant_kind == VariantKind::kFormat) {
      // Books are titled like books; the brand is their publisher.
      const std::string& a = random.pick(vocabulary.book_title_adjectives);
      const std::string& n = random.pick(vocabulary.book_title_nouns);
      const std::string& n2 = random.pick(vocabulary.book_title_nouns);
      std::string name;
      switch (random.below(3)) {
        case 0:
          name = "The " + a + " " + n;
          break;
        case 1:
          name = a + " " + n;
          break;
        default:
          name = "The " + n + (n == n2 ? std::string(" of the ") + a + " " : " of ") + n2;
          break;
      }
      return name + ": " + adjective + " " + leaf.noun;
    }
    std::string text = brand + " " + adjective + " ";
    if (department.variant_kind == VariantKind::kSizeColor && random.chance(0.5)) {
      text += first_attribute + " ";
    }
    text += leaf.noun;
    if (department.model_numbers && random.chance(0.7)) {
      text += " ";
      text += kModelPrefixes[random.below(kModelPrefixes.size())];
      text += std::to_string(random.between(1, 9) * 100 + (random.chance(0.3) ? 50 : 0));
    }
    return text;
  }

  std::string description(Random& random, const LeafProfile& leaf,
                          const DepartmentVocabulary& department, const std::string& brand,
                          const std::string& adjective, const std::string& first_attribute) const {
    const std::string noun = lowerWords(leaf.noun);
    const std::string adjective_lower = lowerWords(adjective);
    const std::string attribute_lower = lowerWords(first_attribute);
    const std::string& audience = random.pick(department.audiences);
    std::string text = fill(random.pick(department.openings), {{"brand", brand},
                                                               {"noun", noun},
                                                               {"adjective", adjective_lower},
                                                               {"attribute", attribute_lower},
                                                               {"audience", audience}});
    // 1-3 more sentences, no sentence twice.
    const auto more = static_cast<std::size_t>(random.between(1, 3));
    for (const std::uint64_t s : distinctBelow(random, more, vocabulary.sentences.size())) {
      const auto qualities = distinctBelow(random, 2, vocabulary.qualities.size());
      text += ' ';
      text += fill(vocabulary.sentences[s], {{"quality", vocabulary.qualities[qualities[0]]},
                                             {"quality2", vocabulary.qualities[qualities[1]]},
                                             {"audience", random.pick(department.audiences)}});
    }
    return text;
  }

  // Variant attributes and price factors for the department's variant kind.
  void addVariants(Random& random, const DepartmentVocabulary& department, SeedProduct& product,
                   std::int64_t base_price, ProductBatch& batch) const {
    const std::size_t count = variant_counts.sample(random) + 1;
    std::vector<std::string> attributes;
    std::vector<double> factors;
    const auto consecutive = [&](const std::vector<std::string>& values, bool from_start,
                                 std::string_view key, std::initializer_list<double> steps) {
      const std::size_t n = std::min(count, values.size());
      const std::size_t first = from_start ? 0 : random.below(values.size() - n + 1);
      auto step = steps.begin();
      for (std::size_t i = 0; i < n; ++i, ++step) {
        attributes.push_back(jsonObject({{key, values[first + i]}}));
        factors.push_back(*step);
      }
    };
    switch (department.variant_kind) {
      case VariantKind::kColor:
        for (const std::uint64_t c : distinctBelow(random, count, vocabulary.colors.size())) {
          attributes.push_back(jsonObject({{"color", vocabulary.colors[c]}}));
          factors.push_back(
              attributes.size() == 1 || random.chance(0.6) ? 1.0 : 1.0 + random.unit() * 0.15);
        }
        break;
      case VariantKind::kSizeColor: {
        const std::string& color = random.pick(vocabulary.colors);
        const std::size_t first = random.below(vocabulary.clothing_sizes.size() - count + 1);
        for (std::size_t i = 0; i < count; ++i) {
          attributes.push_back(
              jsonObject({{"size", vocabulary.clothing_sizes[first + i]}, {"color", color}}));
          factors.push_back(first + i >= 4 ? 1.1 : 1.0);  // XL and up cost a little more
        }
        break;
      }
      case VariantKind::kFormat:
        consecutive(vocabulary.book_formats, true, "format", {1.0, 1.7, 1.3, 1.5});
        break;
      case VariantKind::kPack:
        consecutive(vocabulary.pack_sizes, true, "pack", {1.0, 1.9, 3.6, 5.2});
        break;
      case VariantKind::kVolume:
        consecutive(vocabulary.volumes, false, "size", {1.0, 1.5, 2.4, 4.0});
        break;
      case VariantKind::kSize:
        consecutive(vocabulary.pet_sizes, false, "size", {1.0, 1.2, 1.45, 1.7});
        break;
    }
    const bool sold_out = random.chance(kOutOfStockShare);
    const std::size_t first_variant = batch.variants.size();
    product.price = -1;
    for (std::size_t i = 0; i < attributes.size(); ++i) {
      SeedVariant variant;
      variant.sku = "SKU-" + std::to_string(product.id) + "-" + std::to_string(i + 1);
      variant.product_id = product.id;
      variant.attributes = std::move(attributes[i]);
      variant.price = shopPrice(static_cast<double>(base_price) / 100.0 * factors[i]);
      variant.position = static_cast<std::int64_t>(i);
      if (!sold_out && !random.chance(0.08)) {
        variant.stock =
            std::clamp<std::int64_t>(static_cast<std::int64_t>(random.logNormal(20, 1.0)), 1, 999);
      }
      product.price = product.price < 0 ? variant.price : std::min(product.price, variant.price);
      batch.variants.push_back(std::move(variant));
    }
    // Not sold out, yet every variant drew 0: restock the first one.
    if (!sold_out &&
        std::all_of(batch.variants.begin() + static_cast<long>(first_variant), batch.variants.end(),
                    [](const SeedVariant& v) { return v.stock == 0; })) {
      batch.variants[first_variant].stock = 1 + static_cast<std::int64_t>(random.below(30));
    }
    product.in_stock = !sold_out;
  }

  void addReviews(Random& random, const LeafProfile& leaf, SeedProduct& product,
                  std::int64_t created, ProductBatch& batch) {
    // About half the products have no review; the rest a long tail, a few dozens.
    std::int64_t count = 0;
    if (random.chance(0.55)) {
      count = std::clamp<std::int64_t>(static_cast<std::int64_t>(random.logNormal(2.2, 1.1)), 1,
                                       kMaxReviewsPerProduct);
    }
    const auto& profile = kRatingProfiles[rating_profiles.sample(random)];
    const std::string noun = lowerWords(leaf.noun);
    std::int64_t sum = 0;
    const auto users = distinctBelow(random, static_cast<std::size_t>(count),
                                     static_cast<std::uint64_t>(user_pool));
    for (const std::uint64_t user : users) {
      SeedReview review;
      review.id = next_review_id++;
      review.product_id = product.id;
      review.user_id = "usr_seed_" + std::to_string(user + 1);
      review.user_name = userName(user + 1);
      const double u = random.unit();
      review.rating = 1 + (std::upper_bound(profile.begin(), profile.end(), u) - profile.begin());
      review.rating = std::min<std::int64_t>(review.rating, 5);
      const auto r = static_cast<std::size_t>(review.rating - 1);
      review.title = random.pick(vocabulary.review_titles[r]);
      review.body = fill(random.pick(vocabulary.review_bodies[r]), {{"noun", noun}});
      const std::int64_t age = std::max<std::int64_t>(options.last_created_micros - created, 0);
      review.created_at = formatTimestamp(
          created + static_cast<std::int64_t>(random.below(static_cast<std::uint64_t>(age) + 1)));
      sum += review.rating;
      batch.reviews.push_back(std::move(review));
    }
    product.review_count = count;
    product.rating = roundedMean(sum, count);
  }

  void addProduct(std::int64_t index, ProductBatch& batch) {
    const std::int64_t id = options.first_product_id + index;
    Random random(mixSeed(options.seed, kProductStreamBase + static_cast<std::uint64_t>(id)));
    const LeafProfile& leaf = leaves[leaf_weights.sample(random)];
    const DepartmentVocabulary& department = vocabulary.departments[leaf.department];
    SeedProduct product;
    product.id = id;
    product.category_id = leaf.category_id;
    product.brand = department_brands[leaf.department][brand_ranks.sample(random)];
    const std::string& adjective = random.pick(department.adjectives);
    std::vector<const std::string*> attribute_values;
    for (const AttributeVocabulary& attribute : department.attributes) {
      attribute_values.push_back(&random.pick(attribute.values));
    }
    const std::string& first_attribute = *attribute_values.front();
    product.title = title(random, leaf, department, product.brand, adjective, first_attribute);
    product.slug = slugify(product.title, 80) + "-" + std::to_string(id);
    product.description =
        description(random, leaf, department, product.brand, adjective, first_attribute);

    const std::int64_t base_price = shopPrice(random.logNormal(department.median_price_usd, 0.75));
    addVariants(random, department, product, base_price, batch);

    product.attributes = "{";
    for (std::size_t a = 0; a < department.attributes.size(); ++a) {
      if (a > 0) product.attributes += ", ";
      appendJsonString(product.attributes, department.attributes[a].key);
      product.attributes += ": ";
      appendJsonString(product.attributes, *attribute_values[a]);
    }
    product.attributes += '}';
    const auto images = random.between(1, 4);
    product.images = "[";
    for (std::int64_t i = 1; i <= images; ++i) {
      if (i > 1) product.images += ", ";
      product.images += "\"/images/p/" + std::to_string(id) + "/" + std::to_string(i) + ".jpg\"";
    }
    product.images += ']';

    // Creation times rise with id: one slot of the window per product, a
    // random moment inside it.
    const std::int64_t slot_start = options.first_created_micros + index * micros_per_product;
    const std::int64_t created =
        micros_per_product > 0 ? slot_start + static_cast<std::int64_t>(random.below(
                                                  static_cast<std::uint64_t>(micros_per_product)))
                               : options.first_created_micros + index;
    const std::int64_t until_end = std::max<std::int64_t>(options.last_created_micros - created, 0);
    const std::int64_t updated =
        created + static_cast<std::int64_t>(random.below(
                      static_cast<std::uint64_t>(std::min(until_end, 180 * kMicrosPerDay)) + 1));
    product.created_at = formatTimestamp(created);
    product.updated_at = formatTimestamp(updated);

    addReviews(random, leaf, product, created, batch);
    batch.products.push_back(std::move(product));
  }

  ProductGeneratorOptions options;
  Vocabulary vocabulary;
  WeightedTable brand_ranks;
  WeightedTable rating_profiles;
  WeightedTable variant_counts;
  WeightedTable leaf_weights;
  std::vector<std::vector<std::string>> department_brands;
  std::vector<std::string> all_brands;
  std::vector<LeafProfile> leaves;
  std::int64_t user_pool;
  std::int64_t micros_per_product = 0;
  std::int64_t produced = 0;
  std::int64_t next_review_id;
};

ProductGenerator::ProductGenerator(ProductGeneratorOptions options) {
  if (options.count < 0) throw std::invalid_argument("product count must not be negative");
  if (options.categories.empty())
    throw std::invalid_argument("no categories to file products under");
  if (options.last_created_micros < options.first_created_micros) {
    throw std::invalid_argument("the creation time window ends before it starts");
  }
  state_ = std::make_unique<State>(std::move(options));
}

ProductGenerator::~ProductGenerator() = default;

ProductBatch ProductGenerator::next(std::size_t max_products) {
  ProductBatch batch;
  const std::int64_t remaining = state_->options.count - state_->produced;
  const std::int64_t n = std::min<std::int64_t>(remaining, static_cast<std::int64_t>(max_products));
  batch.products.reserve(static_cast<std::size_t>(n));
  batch.variants.reserve(static_cast<std::size_t>(n) * 3);
  batch.reviews.reserve(static_cast<std::size_t>(n) * 3);
  for (std::int64_t i = 0; i < n; ++i) state_->addProduct(state_->produced++, batch);
  return batch;
}

bool ProductGenerator::done() const noexcept { return state_->produced >= state_->options.count; }

std::int64_t ProductGenerator::generated() const noexcept { return state_->produced; }

const std::vector<std::string>& ProductGenerator::brands() const noexcept {
  return state_->all_brands;
}

}  // namespace emporium::catalog::seed
