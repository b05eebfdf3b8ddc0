// The one address rule (core/util/postal_address.hpp) that saved and inline
// checkout addresses share; its use by both routes is tested end to end in
// tests/e2e/addresses_api_test.cpp.

#include "core/util/postal_address.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace emporium::util {
namespace {

PostalAddress valid() {
  return {"Ada Lovelace", "1 Analytical St", std::nullopt, "London", std::nullopt, "N1 9GU", "gb"};
}

std::set<std::string> fieldsOf(const std::vector<AddressProblem>& problems) {
  std::set<std::string> out;
  for (const auto& p : problems) out.insert(p.field);
  return out;
}

TEST(PostalAddress, AValidAddressPassesAndItsCountryIsUpperCased) {
  auto a = valid();
  EXPECT_TRUE(checkPostalAddress(a).empty());
  EXPECT_EQ(a.country, "GB");
}

TEST(PostalAddress, MissingFieldsAreEachNamed) {
  PostalAddress a;
  EXPECT_EQ(fieldsOf(checkPostalAddress(a)),
            (std::set<std::string>{"name", "line1", "city", "postal_code", "country"}));
}

TEST(PostalAddress, DeceivingOrMarkupTextIsRefusedInEveryField) {
  for (const std::string bad :
       std::vector<std::string>{"evil\u202Egnp.exe", "<script>alert(1)</script>", "a\tb",
                                "\u200B\u200B", "x\xC2\x85y", std::string(201, 'a')}) {
    for (const char* field : {"name", "line1", "line2", "city", "region"}) {
      auto a = valid();
      const std::string f(field);
      if (f == "name") a.name = bad;
      if (f == "line1") a.line1 = bad;
      if (f == "line2") a.line2 = bad;
      if (f == "city") a.city = bad;
      if (f == "region") a.region = bad;
      EXPECT_EQ(fieldsOf(checkPostalAddress(a)), std::set<std::string>{f}) << f << " " << bad;
    }
  }
  auto a = valid();
  a.postal_code = "<b>1</b>";
  EXPECT_EQ(fieldsOf(checkPostalAddress(a)), std::set<std::string>{"postal_code"});
  a = valid();
  a.country = "Germany";
  EXPECT_EQ(fieldsOf(checkPostalAddress(a)), std::set<std::string>{"country"});
}

TEST(PostalAddress, InternationalTextIsFine) {
  PostalAddress a{"Zoë Ångström",
                  "Straße 5 – Hinterhaus",
                  std::string("3. OG"),
                  "Łódź",
                  std::string("Łódzkie"),
                  "90-001",
                  "PL"};
  EXPECT_TRUE(checkPostalAddress(a).empty());
}

TEST(PostalAddress, DisplayTextRule) {
  EXPECT_FALSE(displayTextProblem("Ada").has_value());
  EXPECT_TRUE(displayTextProblem("\xFF").has_value());
  EXPECT_TRUE(displayTextProblem("a\u2066b").has_value());
  EXPECT_TRUE(displayTextProblem("   ").has_value());
}

}  // namespace
}  // namespace emporium::util
