#include "services/catalog/seed/vocabulary.hpp"

#include <array>
#include <cctype>

namespace emporium::catalog::seed {
namespace {

// One department as compact text:
//   tree:       "Subcategory: Leaf, Leaf/Plural, Leaf/; Subcategory: ..."
//               (a leaf is its singular noun; "/Plural" gives an irregular
//               plural, a bare "/" a noun whose plural is itself)
//   attributes: "key=Value,Value; key=Value,Value"
//   openings:   sentences separated by '|', with {brand} {noun} {adjective}
//               {attribute} {audience} placeholders
//   lists:      comma-separated; brand suffixes '|'-separated, "" allowed
struct DepartmentText {
  std::string_view name;
  std::string_view tree;
  std::string_view adjectives;
  std::string_view attributes;
  std::string_view audiences;
  std::string_view openings;
  std::string_view brand_suffixes;
  VariantKind variant_kind;
  bool model_numbers;
  double median_price_usd;
};

constexpr std::array<DepartmentText, 12> kDepartments = {{
    {"Electronics",
     "Audio: Headphones/, Earbuds/, Bluetooth Speaker, Soundbar; "
     "Computers: Laptop, Monitor, Keyboard, Mouse/Mice; "
     "Phones & Tablets: Smartphone, Tablet, Phone Case, Screen Protector; "
     "Cameras: Digital Camera, Action Camera, Camera Lens/Camera Lenses, Tripod; "
     "Smart Home: Smart Plug, Security Camera, Smart Bulb, Video Doorbell",
     "Compact, Pro, Premium, Lightweight, Slim, Essential, Advanced, Classic, Ultra, Wireless",
     "material=Aluminum,Plastic,Glass,Carbon Fiber,Silicone; warranty=1 year,2 years,3 years",
     "home offices, commuters, gamers, students, frequent travelers",
     "The {brand} {noun} packs dependable performance into a {attribute} body.|"
     "This {adjective} {noun} from {brand} is built for {audience}.|"
     "Meet the {brand} {noun}: {adjective} design, {attribute} finish and no compromises.",
     "|| Labs| Tech| Audio", VariantKind::kColor, true, 80},
    {"Home & Kitchen",
     "Cookware: Frying Pan, Saucepan, Dutch Oven, Wok; "
     "Small Appliances: Blender, Coffee Maker, Toaster, Air Fryer; "
     "Kitchen Tools: Chef Knife/Chef Knives, Cutting Board, Mixing Bowl, Measuring Cup Set; "
     "Bedding: Duvet Cover, Pillow, Sheet Set, Throw Blanket; "
     "Home Decor: Table Lamp, Wall Clock, Picture Frame, Vase",
     "Modern, Classic, Everyday, Deluxe, Essential, Rustic, Minimalist, Premium, Compact, "
     "Family-Size",
     "material=Stainless Steel,Cast Iron,Bamboo,Ceramic,Cotton,Glass,Oak; "
     "care=Dishwasher safe,Hand wash only,Machine washable,Wipe clean",
     "home cooks, busy families, first apartments, weekend hosts, small kitchens",
     "The {brand} {noun} brings {attribute} craftsmanship to everyday living.|"
     "Made from {attribute}, this {adjective} {noun} is a staple for {audience}.|"
     "This {adjective} {noun} from {brand} makes daily routines a little easier.",
     "|| Home| & Co.| Living", VariantKind::kColor, false, 35},
    {"Books",
     "Fiction: Mystery Novel, Fantasy Novel, Science Fiction Novel, Romance Novel; "
     "Nonfiction: Biography/Biographies, History Book, Memoir, Essay Collection; "
     "Children's Books: Picture Book, Board Book, Early Reader, Activity Book; "
     "Education: Textbook, Study Guide, Language Workbook, Reference Guide; "
     "Hobbies & Crafts: Cookbook, Travel Guide, Gardening Book, Craft Book",
     "Illustrated, Complete, Essential, Pocket, Annotated, Collector's, Concise, Definitive, "
     "Beginner's, Classic",
     "language=English,English,English,Spanish,French; pages=160,224,288,320,384,448,512",
     "curious readers, book clubs, students, gift-givers, lifelong learners",
     "From {brand}, a {adjective} {noun} that readers return to again and again.|"
     "This {noun} has won over {audience} with its warmth and wit.|"
     "A {adjective} {noun}, published by {brand} in {attribute}.",
     " Press| Books| House| Publishing| Editions", VariantKind::kFormat, false, 15},
    {"Fashion",
     "Men's Clothing: T-Shirt, Jeans/, Hoodie, Dress Shirt; "
     "Women's Clothing: Dress, Blouse, Skirt, Cardigan; "
     "Shoes: Sneaker, Running Shoe, Boot, Sandal; "
     "Bags: Backpack, Tote Bag, Wallet, Duffel Bag; "
     "Accessories: Watch, Sunglasses/, Scarf/Scarves, Belt",
     "Slim-Fit, Relaxed, Classic, Everyday, Vintage, Lightweight, Premium, Casual, Stretch, "
     "Essential",
     "material=Cotton,Linen,Wool,Leather,Denim,Polyester,Organic Cotton; "
     "fit=Regular,Slim,Relaxed,Oversized",
     "weekend plans, the office, travel, everyday wear, cooler evenings",
     "The {brand} {noun} is cut from soft {attribute} for all-day comfort.|"
     "A {adjective} {noun} in {attribute}, made for {audience}.|"
     "This {adjective} {noun} from {brand} keeps its shape wash after wash.",
     "|| Apparel| & Co.| Supply", VariantKind::kSizeColor, false, 30},
    {"Sports & Outdoors",
     "Fitness: Yoga Mat, Dumbbell Set, Resistance Band, Kettlebell; "
     "Camping: Tent, Sleeping Bag, Camping Stove, Headlamp; "
     "Cycling: Bike Helmet, Bike Light, Cycling Jersey, Bike Lock; "
     "Team Sports: Soccer Ball, Basketball, Shin Guard, Sports Bag; "
     "Water Sports: Swim Goggles/, Life Jacket, Paddle Board, Snorkel Set",
     "Pro, Lightweight, All-Weather, Trail, Compact, Durable, Adjustable, Performance, "
     "Ultralight, Training",
     "material=Nylon,Aluminum,Neoprene,Rubber,Polyester,Steel; "
     "level=Beginner,Intermediate,Advanced,All levels",
     "weekend adventurers, home workouts, team practice, long rides, early risers",
     "The {brand} {noun} is made from tough {attribute} and ready for {audience}.|"
     "Built for {audience}, this {adjective} {noun} goes wherever you do.|"
     "This {adjective} {noun} from {brand} shrugs off mud, rain and heavy use.",
     "|| Sports| Outdoors| Athletics", VariantKind::kColor, true, 40},
    {"Toys & Games",
     "Building Toys: Building Set, Magnetic Tile Set, Marble Run, Construction Kit; "
     "Board Games: Board Game, Card Game, Jigsaw Puzzle, Strategy Game; "
     "Dolls & Figures: Doll, Action Figure, Plush Toy, Dollhouse; "
     "Outdoor Play: Water Blaster, Kite, Scooter, Sandbox Set; "
     "Learning Toys: Science Kit, Coding Robot, Puzzle Cube, Art Set",
     "Deluxe, Classic, Mini, Family, Junior, Ultimate, Creative, Colorful, Interactive, Travel",
     "material=Wood,Plastic,Plush,Cardboard,Metal; age=3+,5+,8+,12+,14+",
     "family game nights, curious kids, rainy afternoons, birthday gifts, classrooms",
     "The {brand} {noun} turns any afternoon into an adventure.|"
     "This {adjective} {noun} is a favorite for {audience}.|"
     "Made from sturdy {attribute}, the {brand} {noun} is built to be played with.",
     "|| Toys| Games| Kids", VariantKind::kColor, false, 25},
    {"Beauty & Personal Care",
     "Skincare: Moisturizer, Face Serum, Cleanser, Sunscreen; "
     "Hair Care: Shampoo, Conditioner, Hair Dryer, Hair Straightener; "
     "Makeup: Lipstick, Mascara, Foundation, Eyeshadow Palette; "
     "Fragrance: Eau de Parfum/, Body Mist, Cologne, Perfume Oil; "
     "Shaving & Grooming: Electric Razor, Beard Trimmer, Shaving Cream, Grooming Kit",
     "Hydrating, Gentle, Daily, Radiant, Natural, Advanced, Sensitive, Professional, Nourishing, "
     "Travel-Size",
     "scent=Unscented,Lavender,Citrus,Rose,Sandalwood,Coconut,Fresh Linen; "
     "skin_type=All skin types,Dry,Oily,Sensitive,Combination",
     "sensitive skin, busy mornings, travel bags, self-care evenings, daily routines",
     "The {brand} {noun} leaves a light {attribute} note and a fresh feel.|"
     "This {adjective} {noun} from {brand} fits easily into {audience}.|"
     "A {adjective} {noun} with a subtle {attribute} scent, made for {audience}.",
     "|| Beauty| Naturals| Skin", VariantKind::kVolume, false, 18},
    {"Grocery",
     "Coffee & Tea: Ground Coffee, Coffee Beans/, Green Tea, Herbal Tea; "
     "Snacks: Granola Bar, Trail Mix, Potato Chips/, Dark Chocolate; "
     "Pantry: Olive Oil, Pasta Sauce, Rice/, Peanut Butter; "
     "Breakfast: Cereal, Oatmeal/, Pancake Mix, Honey/; "
     "Beverages: Sparkling Water/, Juice, Energy Drink, Kombucha",
     "Organic, Classic, Family-Size, Gourmet, Original, Natural, Premium, Everyday, Artisan, "
     "Fair Trade",
     "flavor=Original,Vanilla,Chocolate,Sea Salt,Mixed Berry,Honey,Lemon,Cinnamon; "
     "diet=Vegan,Gluten-free,Non-GMO,Kosher,None",
     "busy mornings, lunch boxes, movie nights, the office pantry, healthy snacking",
     "The {brand} {noun} has a rich {attribute} flavor that keeps you coming back.|"
     "This {adjective} {noun} is a pantry favorite for {audience}.|"
     "{brand} makes this {adjective} {noun} in small batches, with a {attribute} twist.",
     " Farms| Kitchen| Foods| & Co.| Harvest", VariantKind::kPack, false, 9},
    {"Garden",
     "Garden Tools: Pruning Shears/, Garden Trowel, Rake, Garden Hose; "
     "Planters: Planter, Raised Garden Bed, Hanging Basket, Window Box; "
     "Outdoor Furniture: Patio Chair, Garden Bench, Hammock, Patio Umbrella; "
     "Grills: Charcoal Grill, Gas Grill, Grill Cover, BBQ Tool Set; "
     "Lawn Care: Lawn Mower, Leaf Blower, Sprinkler, Seed Spreader",
     "Heavy-Duty, Weatherproof, Compact, Ergonomic, Classic, Cordless, Deluxe, Foldable, Rustic, "
     "Professional",
     "material=Steel,Teak,Resin,Aluminum,Terracotta,Cedar; "
     "season=All-season,Spring and summer,Year-round",
     "weekend gardeners, small balconies, backyard barbecues, big lawns, green thumbs",
     "The {brand} {noun} is made from weather-resistant {attribute} for years outdoors.|"
     "This {adjective} {noun} makes yard work easier for {audience}.|"
     "Built from {attribute}, the {brand} {noun} stands up to sun, rain and frost.",
     "|| Garden| Outdoor| Yard", VariantKind::kColor, true, 45},
    {"Automotive",
     "Car Care: Car Wax, Microfiber Towel, Car Shampoo, Tire Shine; "
     "Interior Accessories: Seat Cover, Floor Mat, Steering Wheel Cover, Car Organizer; "
     "Electronics: Dash Cam, Phone Mount, Car Charger, Jump Starter; "
     "Tools & Equipment: Tire Inflator, Socket Set, Torque Wrench, Car Jack; "
     "Replacement Parts: Wiper Blade, Air Filter, Brake Pad, Headlight Bulb",
     "Heavy-Duty, Universal, Premium, All-Season, Compact, Pro, Quick-Fit, Durable, Professional, "
     "Deluxe",
     "material=Rubber,Steel,Microfiber,Leather,Plastic; fit=Universal,Most sedans,SUVs and trucks",
     "daily commuters, road trips, weekend mechanics, new drivers, fleet owners",
     "The {brand} {noun} fits in minutes and is made from durable {attribute}.|"
     "This {adjective} {noun} keeps {audience} moving.|"
     "Trusted by {audience}, the {brand} {noun} does one job and does it well.",
     "|| Auto| Motors| Garage", VariantKind::kColor, true, 30},
    {"Office Products",
     "Writing: Gel Pen, Fountain Pen, Pencil Set, Highlighter; "
     "Paper: Notebook, Sticky Notes/, Printer Paper/, Planner; "
     "Desk Accessories: Desk Organizer, Desk Lamp, Stapler, Monitor Stand; "
     "Office Furniture: Office Chair, Standing Desk, Filing Cabinet, Bookshelf/Bookshelves; "
     "Printing: Inkjet Printer, Label Maker, Toner Cartridge, Laminator",
     "Ergonomic, Compact, Classic, Professional, Everyday, Premium, Adjustable, Minimalist, "
     "Heavy-Duty, Refillable",
     "material=Steel,Bamboo,Plastic,Leather,Mesh,Oak; pack=Single,Pack of 3,Pack of 12",
     "home offices, students, small businesses, note-takers, tidy desks",
     "The {brand} {noun} keeps {audience} organized and productive.|"
     "This {adjective} {noun} is made from {attribute} and built for daily use.|"
     "A {adjective} {noun} from {brand} that makes the workday smoother.",
     "|| Office| Paper Co.| Works", VariantKind::kColor, true, 25},
    {"Pet Supplies",
     "Dogs: Dog Bed, Dog Leash, Dog Toy, Dog Food; "
     "Cats: Cat Tree, Cat Litter/, Scratching Post, Cat Food; "
     "Fish & Aquatics: Aquarium, Aquarium Filter, Fish Food, Aquarium Heater; "
     "Birds: Bird Cage, Bird Feeder, Bird Seed/, Bird Perch; "
     "Small Animals: Hamster Cage, Rabbit Hutch, Small Animal Bedding/, Timothy Hay/",
     "Cozy, Durable, Natural, Interactive, Deluxe, Washable, Comfort, Adjustable, Classic, "
     "Premium",
     "material=Nylon,Fleece,Cotton,Wood,Plastic,Steel; life_stage=Puppy,Adult,Senior,All ages",
     "playful puppies, indoor cats, busy pet parents, senior pets, multi-pet homes",
     "The {brand} {noun} is made from pet-safe {attribute} and built to last.|"
     "This {adjective} {noun} is loved by {audience}.|"
     "A {adjective} {noun} from {brand}, designed with vets and tested by real pets.",
     "|| Pets| Pet Co.| Paws", VariantKind::kSize, false, 20},
}};

constexpr std::string_view kColors =
    "Black, White, Gray, Navy, Red, Blue, Green, Beige, Silver, Pink, Olive, Charcoal, Teal, "
    "Burgundy, Sand";
constexpr std::string_view kClothingSizes = "XS, S, M, L, XL, XXL";
constexpr std::string_view kBookFormats = "Paperback, Hardcover, Large Print, Spiral-Bound";
constexpr std::string_view kPackSizes = "1 Pack, 2 Pack, 4 Pack, 6 Pack";
constexpr std::string_view kVolumes = "30 ml, 50 ml, 100 ml, 200 ml";
constexpr std::string_view kPetSizes = "Small, Medium, Large, X-Large";
constexpr std::string_view kQualities =
    "solid build quality, thoughtful design, great value, lasting comfort, easy setup, "
    "a clean modern look, attention to detail, reliable performance, an easy-care finish, "
    "a satisfying feel";
constexpr std::string_view kSentences =
    "It pairs {quality} with {quality2}.|"
    "Customers mention {quality} and {quality2} most often.|"
    "A great pick for {audience}.|"
    "Every detail is designed around {quality}.|"
    "You will notice {quality} from the first day.|"
    "Backed by a 30-day return window and friendly support.|"
    "Ships in recyclable packaging.|"
    "It makes a thoughtful gift for {audience}.";
constexpr std::string_view kBookTitleAdjectives =
    "Silent, Hidden, Last, Broken, Golden, Forgotten, Distant, Secret, Burning, Quiet, Wild, "
    "Crimson, Little, Endless, Northern";
constexpr std::string_view kBookTitleNouns =
    "Harbor, Garden, River, Empire, Lighthouse, Winter, Kingdom, Letter, Orchard, Island, "
    "Compass, Shadow, Kitchen, Journey, Summer";
constexpr std::string_view kBrandStarts =
    "Nor, Vel, Ar, Zen, Lum, Kor, Bri, Sol, Tal, Ver, Mor, Cal, Dra, Fen, Hal, Jun, Kai, Lor, "
    "Mar, Nov, Or, Pax, Quin, Ryn, Sky, Tor, Ul, Vox, Wil, Zar, Ash, Bel, Cor, Dun, El";
constexpr std::string_view kBrandMiddles = "a, e, i, o, , , , ri, an, el";
constexpr std::string_view kBrandEnds =
    "vex, ton, ra, lix, dor, ex, io, on, ia, us, wick, field, stone, ford, mark, well, crest, "
    "line, tek, ora, nix, ven, by, ro";
constexpr std::string_view kFirstNames =
    "Alex, Sam, Jordan, Taylor, Morgan, Casey, Riley, Jamie, Avery, Quinn, Maria, James, Wei, "
    "Priya, Omar, Elena, Noah, Aisha, Lucas, Yuki, Fatima, Liam, Sofia, Mateo, Chloe, Daniel, "
    "Grace, Hiro, Amara, Jonas, Lena, Ravi, Zoe, Ethan, Mia, Kofi, Ines, Tomas, Nadia, Owen";
// Per rating, 1 to 5.
constexpr std::array<std::string_view, 5> kReviewTitles = {
    "Stopped working, Would not buy again, Poor quality, Waste of money, Very disappointed",
    "Disappointed, Not great, Expected more, Only okay for the price, Has problems",
    "It's okay, Does the job, Mixed feelings, Average, Fine but not special",
    "Very good, Solid choice, Happy with it, Good value, Works well",
    "Love it!, Exactly what I needed, Five stars, Excellent quality, Highly recommend",
};
constexpr std::array<std::string_view, 5> kReviewBodies = {
    "The {noun} broke within a week. I returned it.|"
    "Nothing like the photos. The {noun} feels cheap.|"
    "Arrived damaged and support never answered.",
    "The {noun} works, but not well. I expected better at this price.|"
    "Some parts feel flimsy. It might do for occasional use.|"
    "Shipping was fast, but the {noun} itself is underwhelming.",
    "The {noun} is fine. Nothing wrong with it, nothing special either.|"
    "Does what it says. The finish could be better.|"
    "Decent for the price, though I had to adjust it a few times.",
    "Good {noun} for the money. A couple of small quirks, otherwise great.|"
    "Works as described and looks nice. Would buy again.|"
    "Solid and well made. Took off one star for the packaging.",
    "The best {noun} I have owned. Worth every cent.|"
    "Exactly as described, arrived early, and works perfectly.|"
    "I bought a second one as a gift. Great quality all around.",
};

std::string trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return std::string(text);
}

std::vector<std::string> split(std::string_view text, char separator, bool keep_empty = false) {
  std::vector<std::string> parts;
  for (;;) {
    const std::size_t at = text.find(separator);
    std::string part = trim(text.substr(0, at));
    if (keep_empty || !part.empty()) parts.push_back(std::move(part));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

LeafVocabulary parseLeaf(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return {std::string(text), pluralize(text)};
  const std::string noun = trim(text.substr(0, slash));
  const std::string plural = trim(text.substr(slash + 1));
  return {noun, plural.empty() ? noun : plural};
}

DepartmentVocabulary parseDepartment(const DepartmentText& text) {
  DepartmentVocabulary department;
  department.name = std::string(text.name);
  for (const std::string& sub : split(text.tree, ';')) {
    const std::size_t colon = sub.find(':');
    SubcategoryVocabulary subcategory{trim(std::string_view(sub).substr(0, colon)), {}};
    for (const std::string& leaf : split(std::string_view(sub).substr(colon + 1), ',')) {
      subcategory.leaves.push_back(parseLeaf(leaf));
    }
    department.subcategories.push_back(std::move(subcategory));
  }
  department.adjectives = split(text.adjectives, ',');
  for (const std::string& attribute : split(text.attributes, ';')) {
    const std::size_t equals = attribute.find('=');
    department.attributes.push_back({trim(std::string_view(attribute).substr(0, equals)),
                                     split(std::string_view(attribute).substr(equals + 1), ',')});
  }
  department.audiences = split(text.audiences, ',');
  department.openings = split(text.openings, '|');
  // Not trimmed: " Press" keeps its space; "" is a brand without suffix.
  for (std::string_view rest = text.brand_suffixes;;) {
    const std::size_t bar = rest.find('|');
    department.brand_suffixes.emplace_back(rest.substr(0, bar));
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 1);
  }
  department.variant_kind = text.variant_kind;
  department.model_numbers = text.model_numbers;
  department.median_price_usd = text.median_price_usd;
  return department;
}

bool isVowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'A' || c == 'E' ||
         c == 'I' || c == 'O' || c == 'U';
}

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

Vocabulary::Vocabulary()
    : colors(split(kColors, ',')),
      clothing_sizes(split(kClothingSizes, ',')),
      book_formats(split(kBookFormats, ',')),
      pack_sizes(split(kPackSizes, ',')),
      volumes(split(kVolumes, ',')),
      pet_sizes(split(kPetSizes, ',')),
      qualities(split(kQualities, ',')),
      sentences(split(kSentences, '|')),
      book_title_adjectives(split(kBookTitleAdjectives, ',')),
      book_title_nouns(split(kBookTitleNouns, ',')),
      brand_starts(split(kBrandStarts, ',')),
      brand_middles(split(kBrandMiddles, ',', /*keep_empty=*/true)),
      brand_ends(split(kBrandEnds, ',')),
      first_names(split(kFirstNames, ',')) {
  departments.reserve(kDepartments.size());
  for (const DepartmentText& text : kDepartments) departments.push_back(parseDepartment(text));
  for (std::size_t r = 0; r < kReviewTitles.size(); ++r) {
    review_titles.push_back(split(kReviewTitles[r], ','));
    review_bodies.push_back(split(kReviewBodies[r], '|'));
  }
}

std::string pluralize(std::string_view noun) {
  std::string plural(noun);
  if (endsWith(noun, "s") || endsWith(noun, "x") || endsWith(noun, "z") || endsWith(noun, "ch") ||
      endsWith(noun, "sh")) {
    plural += "es";
  } else if (noun.size() >= 2 && noun.back() == 'y' && !isVowel(noun[noun.size() - 2])) {
    plural.back() = 'i';
    plural += "es";
  } else {
    plural += 's';
  }
  return plural;
}

std::string slugify(std::string_view text, std::size_t max_length) {
  std::string slug;
  bool pending_hyphen = false;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 && u < 0x80) {
      if (pending_hyphen && !slug.empty()) slug += '-';
      pending_hyphen = false;
      slug += static_cast<char>(std::tolower(u));
    } else if (c != '\'') {  // "Men's" -> "mens", not "men-s"
      pending_hyphen = true;
    }
  }
  if (slug.size() > max_length) {
    const std::size_t cut = slug.rfind('-', max_length);
    slug.resize(cut != std::string::npos && cut > max_length / 2 ? cut : max_length);
    while (!slug.empty() && slug.back() == '-') slug.pop_back();
  }
  return slug;
}

}  // namespace emporium::catalog::seed
